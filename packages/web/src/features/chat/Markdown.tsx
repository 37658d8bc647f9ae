import { useRef, useState, type ComponentPropsWithoutRef } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import remarkGfm from 'remark-gfm';

import { useNotify } from '../../components/Notifications';
import { copyText } from '../../lib/clipboard';
import './markdown.css';

/** A fenced code block with a "Copy code" button. */
function CodeBlock(props: ComponentPropsWithoutRef<'pre'>) {
  const ref = useRef<HTMLPreElement>(null);
  const notify = useNotify();
  const { children, ...rest } = props;
  return (
    <div className="code-block">
      <div className="code-block__bar">
        <button
          type="button"
          className="button button--small"
          onClick={() => {
            void copyText(ref.current?.textContent ?? '').then((ok) =>
              ok
                ? notify('success', 'Code copied to clipboard!')
                : notify('error', 'Could not copy: the browser refused clipboard access'),
            );
          }}
        >
          Copy code
        </button>
      </div>
      {/* Focusable so a wide block can be scrolled with the keyboard. */}
      <pre ref={ref} tabIndex={0} {...rest}>
        {children}
      </pre>
    </div>
  );
}

/** An image that shows a plain link instead when it cannot load. */
function SafeImage({ src, alt }: ComponentPropsWithoutRef<'img'>) {
  const [failed, setFailed] = useState(false);
  if (typeof src !== 'string' || src === '') {
    return null;
  }
  if (failed) {
    return (
      <span className="image-fallback">
        Image unavailable:{' '}
        <a href={src} target="_blank" rel="noopener noreferrer">
          {alt || src}
        </a>
      </span>
    );
  }
  return <img src={src} alt={alt ?? ''} loading="lazy" onError={() => setFailed(true)} />;
}

const components: Components = {
  pre: ({ node: _node, ...props }) => <CodeBlock {...props} />,
  a: ({ node: _node, href, children, ...props }) => (
    <a {...props} href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  ),
  img: ({ node: _node, src, alt }) => <SafeImage src={src} alt={alt} />,
};

/** Markdown with GFM (tables, strikethrough, task lists) and highlighted code. Raw HTML is not rendered. */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={[remarkGfm]} rehypePlugins={[rehypeHighlight]} components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
