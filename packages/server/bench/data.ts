/**
 * Deterministic synthetic data for the benchmark: short first-person sentences (5–25 words) about preferences,
 * goals, decisions and facts over ten everyday domains, a mixed vocabulary of about 3,000 distinct words (nouns,
 * their plurals, verb forms, adjectives, names, places), some tags; realistic tasks for `/generate-prompt`; and
 * create bodies of at most 100 words. The same seed always gives the same data.
 */

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Domain {
  tag: string;
  tags: string[];
  nouns: string[];
  verbs: string[];
  adjectives: string[];
  names: string[];
}

const w = (s: string): string[] => s.trim().split(/\s+/);

const DOMAINS: Domain[] = [
  {
    tag: 'work',
    tags: ['coding', 'tools', 'backend', 'frontend', 'devops', 'review'],
    nouns:
      w(`laptop stack frontend backend microservice gateway proxy socket firewall certificate secret password credential permission role user account tenant namespace volume image registry artifact build job cron scheduler event webhook payload parser serializer validator router handler middleware controller model view template widget modal button form table chart grid pixel sprite shader algorithm array vector graph tree node hash checksum
      code editor terminal keyboard laptop monitor database query index schema migration server client library
      framework module package dependency compiler runtime container cluster deployment pipeline branch commit test
      suite benchmark profiler cache queue worker thread process endpoint request response header token session
      cookie browser component layout stylesheet font theme shortcut plugin extension script function variable type
      interface backup repository issue ticket sprint release version changelog documentation metric dashboard alert
      incident outage latency linter formatter debugger snippet config log trace`),
    verbs: w(`deploy refactor debug compile review merge test document monitor configure install upgrade migrate
      optimize profile automate format benchmark revert patch`),
    adjectives: w(`typed functional verbose concise modular stable flaky legacy asynchronous reliable scalable secure
      minimal readable strict lightweight portable`),
    names: w(`TypeScript Python Rust Go Postgres SQLite Redis Docker Kubernetes Linux Vim Emacs Neovim GitHub Fastify
      React Vite Node Terraform Grafana Kotlin Swift Java Ruby`),
  },
  {
    tag: 'food',
    tags: ['cooking', 'diet', 'restaurants', 'coffee', 'recipes'],
    nouns:
      w(`brunch appetizer casserole stew risotto quinoa couscous granola muffin bagel croissant baguette tortilla hummus pesto vinaigrette mayonnaise mustard ketchup pickle sausage bacon steak shrimp tuna cod lamb turkey duck mango peach pear plum cherry grape melon pineapple kiwi lime orange walnut cashew pistachio cinnamon vanilla basil parsley cilantro oregano thyme saffron cardamom blender kettle teapot mug napkin
      breakfast lunch dinner snack coffee tea espresso latte smoothie salad soup sandwich pasta rice noodle curry
      pizza burger taco sushi bread cheese yogurt oatmeal cereal fruit apple banana berry avocado tomato onion garlic
      pepper spinach broccoli carrot potato mushroom lentil bean tofu chicken salmon egg butter olive sauce spice herb
      recipe kitchen oven skillet grocery restaurant bakery cafe dessert chocolate cookie cake honey almond peanut
      lemon ginger cucumber pancake waffle dumpling`),
    verbs: w(`cook bake grill roast order brew taste season chop blend share skip`),
    adjectives: w(`spicy sweet savory vegetarian vegan organic fresh homemade crunchy creamy bitter salty healthy hearty
      decaf seasonal`),
    names: w(`Italian Thai Mexican Japanese Indian Greek Korean Vietnamese Lebanese Ethiopian Peruvian Turkish`),
  },
  {
    tag: 'travel',
    tags: ['trips', 'flights', 'hotels', 'outdoors', 'cities'],
    nouns:
      w(`airline boarding terminal gate runway cabin lounge hotel receptionist reservation booking cancellation hostel dorm resort villa cottage chalet lodge motel highway motorway tunnel bridge cathedral castle palace temple shrine monument square plaza boulevard canal vineyard waterfall canyon valley peak summit hill cliff bay lagoon reef dune oasis jungle rainforest safari
      trip flight airport train station hotel hostel beach mountain island city village museum gallery passport
      visa luggage backpack suitcase itinerary ticket seat aisle layover vacation holiday tent trail road car
      rental bike ferry cruise map guidebook tour festival market harbor lake river forest desert coast border currency
      souvenir photo postcard sunset cabin campsite glacier volcano`),
    verbs: w(`travel visit explore book pack hike drive camp wander relax`),
    adjectives: w(`scenic remote crowded quiet budget luxury cheap direct overnight coastal historic rural urban sunny
      rainy`),
    names: w(`Lisbon Berlin Tokyo Kyoto Paris London Madrid Barcelona Rome Vienna Prague Oslo Stockholm Copenhagen
      Amsterdam Dublin Edinburgh Seattle Portland Denver Austin Chicago Boston Toronto Vancouver Montreal Sydney
      Melbourne Auckland Singapore Seoul Bangkok Hanoi Istanbul Athens Marrakesh Cairo Nairobi Lima Bogota Oaxaca
      Santiago Reykjavik Helsinki Zurich Munich Porto Seville Naples`),
  },
  {
    tag: 'health',
    tags: ['fitness', 'sleep', 'running', 'nutrition', 'wellbeing'],
    nouns:
      w(`sneaker shoe headband bottle towel mat foam roller band treadmill elliptical spin sprint lap mile kilometer heartbeat blood pressure cholesterol glucose diabetes asthma migraine headache backache fever cough flu cold vaccine clinic hospital pharmacy prescription dose symptom diagnosis surgery cast brace bandage massage sauna steam ice bath
      workout marathon gym treadmill yoga pilates squat deadlift pushup plank cycling rowing climbing
      nap meditation posture knee ankle shoulder injury doctor dentist appointment checkup vitamin supplement protein
      calorie hydration water step pace pulse muscle recovery routine habit allergy medication therapy
      therapist physio mobility endurance strength cardio interval coach trainer stretch kettlebell dumbbell`),
    verbs: w(`exercise train jog walk lift track measure rest recover breathe meditate climb row cycle stretch`),
    adjectives: w(`sore tired energetic active sedentary consistent intense gentle daily moderate fit`),
    names: w(`Strava Garmin Fitbit Peloton Headspace Calm`),
  },
  {
    tag: 'finance',
    tags: ['money', 'budget', 'investing', 'taxes', 'bills'],
    nouns:
      w(`broker brokerage exchange index crypto coin token mortgage lender landlord tenant lease utility electricity gas phone internet cable streaming gym membership charity fundraiser grant scholarship tuition stipend pension annuity audit accountant advisor planner goalpost threshold limit overdraft fine penalty rebate cashback voucher gift
      budget saving account salary rent mortgage loan debt credit bank invoice receipt tax refund pension
      retirement investment portfolio fund stock bond dividend expense subscription bill insurance premium deposit
      interest inflation payment transfer wallet spreadsheet ledger donation allowance bonus raise estimate quote
      discount coupon price fee paycheck`),
    verbs: w(`save invest spend pay borrow transfer cancel renew donate compare negotiate`),
    adjectives: w(`monthly annual fixed variable frugal expensive affordable passive diversified overdue recurring`),
    names: w(`Vanguard Fidelity Revolut Wise Monzo PayPal Stripe Excel YNAB`),
  },
  {
    tag: 'home',
    tags: ['house', 'garden', 'chores', 'repairs', 'furniture'],
    nouns:
      w(`couch armchair stool bench cabinet cupboard wardrobe dresser nightstand headboard mirror frame painting poster vase candle clock fan radiator boiler chimney fireplace porch patio deck shed greenhouse hedge shrub vegetable herb compost hose sprinkler rake shovel ladder toolbox drill hammer screw nail tile grout sink faucet shower toilet tub
      house apartment garden balcony bedroom bathroom office desk chair sofa lamp shelf bookshelf closet
      laundry dishwasher fridge heater thermostat window curtain plant flower tree lawn fence garage basement attic roof
      paint floor carpet rug mattress pillow blanket towel vacuum broom mop cleaner landlord neighbor renovation
      furniture repair leak pipe bulb battery drawer hallway`),
    verbs: w(`clean repair vacuum organize declutter decorate renovate move replace fix`),
    adjectives: w(`cozy tidy messy spacious bright dark noisy drafty modern rustic minimalist`),
    names: w(`IKEA Roomba Ikea Nest Philips Bosch Miele`),
  },
  {
    tag: 'career',
    tags: ['meetings', 'management', 'projects', 'hiring', 'writing'],
    nouns:
      w(`promotion review appraisal goal okr kpi quota revenue margin forecast pitch deck client vendor supplier partner investor board director executive founder startup company firm agency department division headcount budget payroll benefit vacation leave policy handbook guideline process procedure checklist template draft deliverable launch rollout handoff
      meeting standup manager team colleague customer project deadline milestone roadmap proposal presentation
      slide report email inbox calendar schedule agenda interview promotion feedback mentor intern contract commute
      shift overtime objective quarter priority task stakeholder workshop conference talk offsite onboarding resume
      negotiation memo retrospective`),
    verbs: w(`present delegate prioritize hire attend report coordinate email schedule`),
    adjectives: w(`urgent productive focused collaborative hybrid senior junior quarterly formal casual remote`),
    names: w(`Slack Notion Jira Linear Confluence Zoom Figma Asana Trello Outlook`),
  },
  {
    tag: 'learning',
    tags: ['reading', 'languages', 'courses', 'books', 'study'],
    nouns:
      w(`dictionary thesaurus encyclopedia journal diary blog newsletter magazine newspaper headline paragraph sentence word phrase idiom accent pronunciation conversation dialogue exercise assignment project lab experiment hypothesis theory formula equation proof theorem diagram map timeline era century empire revolution
      course lesson lecture book novel chapter article paper essay thesis exam quiz homework notebook flashcard
      vocabulary grammar language math statistics physics chemistry biology history philosophy economics podcast
      tutorial certificate degree university teacher student tutor library note summary highlight outline
      textbook seminar`),
    verbs: w(`learn study practice memorize translate enroll finish revise summarize listen`),
    adjectives: w(`advanced beginner intermediate fluent difficult boring interesting academic online`),
    names: w(`Spanish German French Japanese Italian Portuguese Mandarin Korean Duolingo Anki Coursera Kindle`),
  },
  {
    tag: 'hobbies',
    tags: ['music', 'art', 'games', 'photography', 'movies'],
    nouns:
      w(`harmonica saxophone trumpet flute cello bass amplifier pedal microphone headphone speaker turntable record track remix beat rhythm tempo verse chorus bridge solo duet orchestra symphony sonata ballet dance musical comedy drama thriller novel comic manga anime cartoon sculpture mosaic quilt embroidery origami kite telescope aquarium
      guitar piano violin drum song album playlist concert band choir lyric melody chord scale painting sketch
      drawing canvas brush camera lens film movie series documentary poem game puzzle chess board knitting pottery
      woodworking photography bird hobby theater opera jazz blues ukulele vinyl`),
    verbs: w(`play record watch knit photograph collect compose perform rehearse`),
    adjectives: w(`acoustic electric classical loud soft vintage creative relaxing upbeat melancholic`),
    names: w(`Spotify Netflix Bandcamp Lightroom Procreate Steam Nintendo Fujifilm Yamaha Fender`),
  },
  {
    tag: 'family',
    tags: ['kids', 'pets', 'friends', 'events', 'gifts'],
    nouns:
      w(`baby toddler teenager grandchild grandparent aunt uncle stepmother stepfather godmother godfather roommate classmate coworker boss mentor hamster parrot rabbit turtle goldfish horse ceremony graduation christmas thanksgiving easter holiday barbecue sleepover playdate homework bedtime lunchbox backpack stroller crib diaper
      partner wife husband daughter son mother father sister brother cousin grandmother grandfather friend dog
      cat puppy kitten birthday anniversary wedding party gift message call school daycare pediatrician babysitter
      reunion picnic playground toy vet pet niece nephew`),
    verbs: w(`call celebrate host invite remind adopt text visit`),
    adjectives: w(`close busy shy friendly allergic picky elderly young`),
    names: w(`Anna Ben Carla David Elena Farid Grace Hiro Ines Jonas Kenji Lena Marco Nora Omar Priya Quinn Rosa Sam
      Tomas Uma Victor Wen Yara Zoe`),
  },
];

/** Everyday words any domain may use. */
const GENERAL_NOUNS =
  w(`idea plan option choice reason detail example problem solution question answer list note reminder
  change update result outcome chance risk cost benefit step stage part piece group set pair couple batch round
  moment period deadline hour minute day evening place area spot corner side center edge level size amount number
  style format color shape pattern system method approach strategy rule limit standard quality value feature
  advantage tradeoff habit experience memory story topic subject theme issue concern request suggestion
  preference decision fact target routine weekday lifestyle`);
const GENERAL_ADJECTIVES = w(`simple complex quick slow easy hard early late new old big small short long cheap clear
  vague calm busy open private public shared personal important optional necessary flexible rigid careful
  practical pleasant annoying useful useless familiar unfamiliar regular occasional frequent rare usual unusual
  obvious subtle smooth rough safe risky solid fragile natural artificial rich plain fancy basic detailed
  brief thorough strong weak fast smart elegant clumsy polished neat chaotic balanced steady
  sustainable efficient wasteful generous strict relaxed predictable spontaneous`);

const JOBS =
  w(`engineer designer nurse accountant lawyer architect chef pharmacist scientist researcher journalist editor
  electrician carpenter consultant analyst developer photographer librarian paramedic`);
const RELATIONS = w(`partner wife husband daughter son mother father sister brother cousin friend neighbor manager`);
const DAYS = w('Monday Tuesday Wednesday Thursday Friday Saturday Sunday');
const MONTHS = w('January February March April May June July August September October November December');
const PERIODS = w('week month quarter year summer winter spring autumn weekend');
const PARTS_OF_DAY = w('morning afternoon evening night');
const ADVERBS = w('usually always never often rarely sometimes early late quickly slowly carefully regularly mostly');

/** Irregular or consonant-doubling forms: [third person, past, gerund]. */
const VERB_FORMS: Record<string, [string, string, string]> = {
  jog: ['jogs', 'jogged', 'jogging'],
  row: ['rows', 'rowed', 'rowing'],
  skip: ['skips', 'skipped', 'skipping'],
  chop: ['chops', 'chopped', 'chopping'],
  plan: ['plans', 'planned', 'planning'],
  pay: ['pays', 'paid', 'paying'],
  spend: ['spends', 'spent', 'spending'],
  build: ['builds', 'built', 'building'],
  drive: ['drives', 'drove', 'driving'],
  book: ['books', 'booked', 'booking'],
  fix: ['fixes', 'fixed', 'fixing'],
  set: ['sets', 'set', 'setting'],
  hire: ['hires', 'hired', 'hiring'],
  patch: ['patches', 'patched', 'patching'],
  finish: ['finishes', 'finished', 'finishing'],
  watch: ['watches', 'watched', 'watching'],
  relax: ['relaxes', 'relaxed', 'relaxing'],
  play: ['plays', 'played', 'playing'],
};

function verbForms(verb: string): [string, string, string] {
  const known = VERB_FORMS[verb];
  if (known) {
    return known;
  }
  const third = /(s|x|ch|sh|z)$/.test(verb)
    ? `${verb}es`
    : /[^aeiou]y$/.test(verb)
      ? `${verb.slice(0, -1)}ies`
      : `${verb}s`;
  const past = verb.endsWith('e') ? `${verb}d` : /[^aeiou]y$/.test(verb) ? `${verb.slice(0, -1)}ied` : `${verb}ed`;
  const gerund = verb.endsWith('e') && !verb.endsWith('ee') ? `${verb.slice(0, -1)}ing` : `${verb}ing`;
  return [third, past, gerund];
}

/** Nouns that read better without a plural. */
const MASS_NOUNS = new Set(
  w(`rice water tea coffee garlic spinach broccoli butter honey bread cheese yogurt oatmeal
  cereal tofu salmon chicken hydration protein cardio yoga pilates meditation recovery mobility endurance strength
  inflation interest debt credit laundry furniture feedback overtime grammar vocabulary homework math statistics
  physics chemistry biology history philosophy economics photography pottery knitting woodworking jazz blues
  documentation cycling rowing climbing luggage currency quinoa couscous granola hummus pesto mayonnaise mustard
  ketchup bacon tuna cod lamb duck cinnamon vanilla basil parsley cilantro oregano thyme saffron cardamom
  cholesterol glucose diabetes asthma electricity gas internet tuition payroll pronunciation revenue compost
  crypto embroidery origami anime manga pressure`),
);

function plural(noun: string): string {
  if (MASS_NOUNS.has(noun)) {
    return noun;
  }
  if (/(s|x|ch|sh|z)$/.test(noun)) {
    return `${noun}es`;
  }
  if (/[^aeiou]y$/.test(noun)) {
    return `${noun.slice(0, -1)}ies`;
  }
  return `${noun}s`;
}

type Pick = <T>(list: readonly T[]) => T;

interface Slots {
  N: () => string;
  Ns: () => string;
  V: () => string;
  Vs: () => string;
  Ved: () => string;
  Ving: () => string;
  A: () => string;
  P: () => string;
  City: () => string;
  J: () => string;
  R: () => string;
  D: () => string;
  M: () => string;
  T: () => string;
  PD: () => string;
  X: () => string;
  K: () => string;
}

const CITIES = DOMAINS.find((d) => d.tag === 'travel')?.names ?? [];

function slotsFor(domain: Domain, random: () => number, pick: Pick): Slots {
  // About one word in eight comes from another domain, so units mix vocabularies as real notes do.
  const from = (): Domain => (random() < 0.12 ? pick(DOMAINS) : domain);
  const verb = () => pick(from().verbs);
  return {
    N: () => (random() < 0.08 ? pick(GENERAL_NOUNS) : pick(from().nouns)),
    Ns: () => plural(random() < 0.08 ? pick(GENERAL_NOUNS) : pick(from().nouns)),
    V: verb,
    Vs: () => verbForms(verb())[0],
    Ved: () => verbForms(verb())[1],
    Ving: () => verbForms(verb())[2],
    A: () => (random() < 0.3 ? pick(GENERAL_ADJECTIVES) : pick(from().adjectives)),
    P: () => pick(from().names),
    City: () => pick(CITIES),
    J: () => pick(JOBS),
    R: () => pick(RELATIONS),
    D: () => pick(DAYS),
    M: () => pick(MONTHS),
    T: () => pick(PERIODS),
    PD: () => pick(PARTS_OF_DAY),
    X: () => pick(ADVERBS),
    K: () => String(2 + Math.floor(random() * 19)),
  };
}

const TEMPLATES: Record<UnitType, string[]> = {
  preference: [
    'I prefer {A} {Ns} over {A} {Ns}',
    'I like {Ving} {Ns} in the {PD}',
    'I {X} {V} my {N} before {Ving} the {N}',
    'Please use {P} for {Ving} {Ns}',
    'I dislike {A} {Ns} and {A} {Ns}',
    'My favorite {N} is the {A} {N} from {City}',
    'I would rather {V} the {N} than {V} a {A} {N}',
    'Keep my {Ns} {A} and {A}',
    'I enjoy {Ving} with my {R} on {D}s',
    'Answers should mention {P} and skip {A} {Ns}',
  ],
  goal: [
    'My goal is to {V} {K} {Ns} by {M}',
    'I want to {V} my {N} this {T}',
    'Plan to {V} the {A} {N} before the {N}',
    'I am trying to {V} {X} and {V} more {Ns}',
    'This {T} I hope to {V} a {A} {N} in {City}',
    'Target: {V} {K} {Ns} every {T}',
    'By {M} I want a {A} {N} for my {Ns}',
  ],
  decision: [
    'We decided to {V} {P} instead of {P} for the {N}',
    'I chose the {A} {N} over the {A} one',
    'Switched from {P} to {P} for {Ving} {Ns}',
    'Decided not to {V} the {N} until {M}',
    'We agreed that the {N} {Vs} every {D}',
    'Going with {A} {Ns} for the {N} from now on',
    'The team {Ved} the {N} and {Ved} the {A} {N}',
  ],
  fact: [
    'My {R} lives in {City} and works as a {J}',
    'I am allergic to {Ns}',
    'The {N} runs on {P} with a {A} {N}',
    'I have {K} {Ns} at home',
    'My {N} is in {City} near the {N}',
    '{P} handles the {Ns} for our {N}',
    'I work as a {J} at a {A} {N}',
    'Our {N} has {K} {Ns} and a {A} {N}',
    'I {Ved} the {N} in {City} last {T}',
  ],
};

const EXTENSIONS = [
  'because the {N} is {A}',
  'and I {X} {V} the {Ns}',
  'especially on {D}s',
  'when {Ving} {Ns}',
  'with my {R}',
  'in {City}',
  'during the {T}',
  'so the {Ns} stay {A}',
  'but only for {A} {Ns}',
  'after the {N}',
  'unless the {N} is {A}',
  'to save time on {Ns}',
  'every {D} {PD}',
  'since {M}',
];

const TASKS = [
  'Help me plan {A} {Ns} for next {T}',
  'Write an email to my {R} about the {N}',
  'Suggest a {A} {N} for {Ving} in {City}',
  'What {N} should I use for {Ving} {Ns}?',
  'Draft a short {N} about {Ving} {Ns} with {P}',
  'Recommend {Ns} for a {A} {N} on {D}',
  'Summarize my notes about the {N} and the {Ns}',
  'How should I {V} the {N} before {M}?',
  'Make a checklist to {V} the {A} {N} this {T}',
  'Which {Ns} fit a {A} {N} in {City}?',
  'Give me ideas to {V} my {Ns} and {V} the {N}',
  'Prepare a {A} {N} for my {R} on {D}',
];

function fill(template: string, slots: Slots): string[] {
  const words = template.replace(/\{(\w+)\}/g, (_, name: string) => slots[name as keyof Slots]()).split(' ');
  // "a" before a vowel sound reads "an" ("an allergic daughter").
  return words.map((word, i) => (word === 'a' && /^[aeiouAEIOU]/.test(words[i + 1] ?? '') ? 'an' : word));
}

export type UnitType = 'preference' | 'goal' | 'decision' | 'fact';
const TYPES: UnitType[] = ['preference', 'goal', 'decision', 'fact'];

export interface SyntheticUnit {
  type: UnitType;
  content: string;
  confidence: number;
  tags: string[];
  source: string;
}

/** Generates units, tasks and create bodies from one seed. */
export function createGenerator(seed: number) {
  const random = createRandom(seed);
  const pick: Pick = (list) => list[Math.floor(random() * list.length)] as (typeof list)[number];

  function sentence(type: UnitType, minWords: number, maxWords: number): { words: string[]; domain: Domain } {
    const domain = pick(DOMAINS);
    const slots = slotsFor(domain, random, pick);
    // Lengths skewed towards short notes: target = min + (max − min)·u^1.7, mean ≈ min + 0.37·(max − min).
    const target = Math.round(minWords + random() ** 1.7 * (maxWords - minWords));
    const words = fill(pick(TEMPLATES[type]), slots);
    const used = new Set<string>();
    for (let attempt = 0; words.length < target && attempt < 8; attempt++) {
      const template = pick(EXTENSIONS);
      const extension = fill(template, slots);
      if (!used.has(template) && words.length + extension.length <= maxWords) {
        used.add(template);
        words.push(...extension);
      }
    }
    while (words.length < minWords) {
      words.push(pick(['today', 'please', 'again', 'too']));
    }
    return { words: words.slice(0, maxWords), domain };
  }

  return {
    /** One unit of 5–25 words; about 70% carry 1–3 tags. */
    unit(): SyntheticUnit {
      const type = pick(TYPES);
      const { words, domain } = sentence(type, 5, 25);
      const tags: string[] = [];
      if (random() < 0.7) {
        tags.push(domain.tag);
        const extra = Math.floor(random() * 3);
        for (let i = 0; i < extra; i++) {
          const tag = pick(domain.tags);
          if (!tags.includes(tag)) {
            tags.push(tag);
          }
        }
      }
      return {
        type,
        content: `${words.join(' ')}.`,
        confidence: Math.round((0.5 + random() * 0.5) * 20) / 20,
        tags,
        source: 'bench',
      };
    },
    /**
     * A unit of the lengths people and conversations produce (LoCoMo-like turns): words drawn log-normally with a
     * median of 24 and clamped to 3–100, made of whole sentences of 5–25 words cut to length.
     */
    realisticUnit(): SyntheticUnit {
      // Box–Muller: a standard normal from two uniforms; exp(ln 24 + 0.6·z) has median 24.
      const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const target = Math.min(100, Math.max(3, Math.round(Math.exp(Math.log(24) + 0.6 * z))));
      const type = pick(TYPES);
      const words: string[] = [];
      let domain = pick(DOMAINS);
      while (words.length < target) {
        const next = sentence(type, 5, 25);
        domain = next.domain;
        words.push(...next.words.slice(0, -1), `${next.words.at(-1) ?? ''}.`);
      }
      const content = words.slice(0, target).join(' ');
      return {
        type,
        content: content.endsWith('.') ? content : `${content}.`,
        confidence: Math.round((0.5 + random() * 0.5) * 20) / 20,
        tags: random() < 0.7 ? [domain.tag] : [],
        source: 'bench',
      };
    },
    /** A task as a user would type it (6–20 words). */
    task(): string {
      const domain = pick(DOMAINS);
      const words = fill(pick(TASKS), slotsFor(domain, random, pick));
      if (random() < 0.4 && !words[words.length - 1]?.endsWith('?')) {
        words.push(...fill(pick(EXTENSIONS), slotsFor(domain, random, pick)));
      }
      return words.join(' ');
    },
    /** A `POST /contexts` body: one to four sentences, at most 100 words. */
    createBody(): { type: UnitType; content: string; tags: string[]; confidence: number } {
      const type = pick(TYPES);
      const sentences = 1 + Math.floor(random() * 4);
      const words: string[] = [];
      for (let i = 0; i < sentences; i++) {
        const { words: s } = sentence(type, 5, 25);
        words.push(...s.slice(0, -1), `${s[s.length - 1] ?? ''}.`);
      }
      const domain = pick(DOMAINS);
      return { type, content: words.slice(0, 100).join(' '), tags: [domain.tag], confidence: 0.9 };
    },
  };
}

/** Distinct lower-cased words of a text list (punctuation stripped), to report the vocabulary actually used. */
export function vocabularySize(texts: Iterable<string>): number {
  const seen = new Set<string>();
  for (const text of texts) {
    for (const word of text.toLowerCase().split(/[^a-z0-9']+/)) {
      if (word !== '') {
        seen.add(word);
      }
    }
  }
  return seen.size;
}

/** Every word the generator can emit (an upper bound of the vocabulary). */
export function possibleVocabulary(): number {
  const words = new Set<string>();
  const add = (s: string) => words.add(s.toLowerCase());
  for (const d of DOMAINS) {
    d.nouns.forEach((n) => {
      add(n);
      add(plural(n));
    });
    d.verbs.forEach((v) => {
      add(v);
      verbForms(v).forEach(add);
    });
    d.adjectives.forEach(add);
    d.names.forEach(add);
  }
  GENERAL_NOUNS.forEach((n) => {
    add(n);
    add(plural(n));
  });
  [...GENERAL_ADJECTIVES, ...JOBS, ...RELATIONS, ...DAYS, ...MONTHS, ...PERIODS, ...PARTS_OF_DAY, ...ADVERBS].forEach(
    add,
  );
  DAYS.forEach((d) => add(`${d}s`));
  for (const t of [...Object.values(TEMPLATES).flat(), ...EXTENSIONS, ...TASKS]) {
    t.replace(/\{\w+\}/g, ' ')
      .split(/[^A-Za-z']+/)
      .filter(Boolean)
      .forEach(add);
  }
  return words.size;
}
