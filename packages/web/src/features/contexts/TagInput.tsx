import { useId } from 'react';

import { parseTags } from '../../lib/text';

interface Props {
  tags: string[];
  text: string;
  onChange: (tags: string[], text: string) => void;
  label?: string;
}

/** Tags as removable chips; Enter, comma or "Add" adds what is typed. */
export function TagInput({ tags, text, onChange, label = 'Tags' }: Props) {
  const id = useId();
  const hint = useId();
  const add = () => {
    const next = [...tags];
    for (const tag of parseTags(text)) {
      if (!next.includes(tag)) {
        next.push(tag);
      }
    }
    onChange(next, '');
  };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="tag-input">
        <input
          id={id}
          type="text"
          value={text}
          aria-describedby={hint}
          placeholder="Add a tag and press Enter"
          onChange={(event) => {
            const value = event.target.value;
            if (value.includes(',')) {
              const parts = value.split(',');
              const rest = parts.pop() ?? '';
              const next = [...tags];
              for (const tag of parseTags(parts.join(','))) {
                if (!next.includes(tag)) {
                  next.push(tag);
                }
              }
              onChange(next, rest);
            } else {
              onChange(tags, value);
            }
          }}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.nativeEvent.isComposing) {
              event.preventDefault();
              add();
            } else if (event.key === 'Backspace' && text === '' && tags.length > 0) {
              onChange(tags.slice(0, -1), '');
            }
          }}
        />
        <button type="button" className="button button--small" onClick={add} disabled={text.trim() === ''}>
          Add
        </button>
      </div>
      <p id={hint} className="visually-hidden">
        Press Enter or comma to add a tag.
      </p>
      {tags.length > 0 ? (
        <ul className="tags" aria-label={`${label} added`}>
          {tags.map((tag) => (
            <li key={tag}>
              <button
                type="button"
                className="tag tag--removable"
                aria-label={`Remove tag ${tag}`}
                onClick={() =>
                  onChange(
                    tags.filter((t) => t !== tag),
                    text,
                  )
                }
              >
                {tag} <span aria-hidden="true">×</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
