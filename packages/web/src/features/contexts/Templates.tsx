import { TEMPLATES, type ContextTemplate } from './templates';

/** Six buttons that fill the "Add context" form with an example. */
export function Templates({ onPick }: { onPick: (template: ContextTemplate) => void }) {
  return (
    <section className="card" aria-labelledby="templates-title">
      <h3 id="templates-title">Quick templates</h3>
      <div className="template-grid">
        {TEMPLATES.map((template) => (
          <button
            key={template.name}
            type="button"
            className="template"
            title="Fill the form with this template"
            onClick={() => onPick(template)}
          >
            <span aria-hidden="true">{template.icon}</span> {template.name}
          </button>
        ))}
      </div>
    </section>
  );
}
