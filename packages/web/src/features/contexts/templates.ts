import type { ContextType } from '@contextpilot/contract';

export interface ContextTemplate {
  name: string;
  icon: string;
  type: ContextType;
  content: string;
  tags: string[];
  confidence: number;
}

/** The six quick templates of the original web UI. */
export const TEMPLATES: readonly ContextTemplate[] = [
  {
    name: 'Code Preference',
    icon: '💻',
    type: 'preference',
    content: 'I prefer writing clean, well-documented code with comprehensive unit tests.',
    tags: ['coding', 'quality', 'testing'],
    confidence: 1,
  },
  {
    name: 'Communication Style',
    icon: '💬',
    type: 'preference',
    content: 'I prefer direct, concise communication with actionable next steps.',
    tags: ['communication', 'style'],
    confidence: 1,
  },
  {
    name: 'Learning Goal',
    icon: '🎯',
    type: 'goal',
    content: 'I want to master TypeScript and modern web development practices.',
    tags: ['learning', 'typescript', 'web-dev'],
    confidence: 1,
  },
  {
    name: 'Tech Stack Decision',
    icon: '🛠️',
    type: 'decision',
    content: 'I decided to use React with TypeScript for frontend development.',
    tags: ['tech-stack', 'react', 'typescript'],
    confidence: 1,
  },
  {
    name: 'Project Fact',
    icon: '📋',
    type: 'fact',
    content: 'This project uses PostgreSQL for data persistence and FastAPI for the backend.',
    tags: ['project', 'database', 'backend'],
    confidence: 1,
  },
  {
    name: 'Work Schedule',
    icon: '⏰',
    type: 'preference',
    content: 'I work best in the morning and prefer focused, uninterrupted work blocks.',
    tags: ['schedule', 'productivity'],
    confidence: 1,
  },
];
