import type { ImportResult } from '@contextpilot/contract';
import { useId, useRef, useState } from 'react';

import { useApi } from '../../api/api';
import { errorMessage } from '../../api/errors';
import { useImportContexts } from '../../api/hooks';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useNotify } from '../../components/Notifications';
import { isoDate } from '../../lib/time';
import { useActivityLog } from '../activity/activity-log';

const SHOWN_ERRORS = 50;

/** Saves a body as a file download. */
export function download(filename: string, body: string, type: string): void {
  const url = URL.createObjectURL(new Blob([body], { type }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = filename;
  anchor.rel = 'noopener';
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function importSummary(result: ImportResult): string {
  return `Imported ${result.imported} ${result.imported === 1 ? 'context' : 'contexts'}${result.skipped > 0 ? `, skipped ${result.skipped}` : ''}`;
}

/** Export as JSON or CSV; import a JSON or CSV file, optionally replacing everything, with per-item errors shown. */
export function ImportExport() {
  const { client } = useApi();
  const notify = useNotify();
  const { log } = useActivityLog();
  const importer = useImportContexts();
  const [file, setFile] = useState<File | null>(null);
  const [replace, setReplace] = useState(false);
  const [confirmReplace, setConfirmReplace] = useState(false);
  const [exporting, setExporting] = useState<'json' | 'csv' | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [importError, setImportError] = useState<string | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const ids = { file: useId(), replace: useId(), title: useId() };

  const exportAs = async (format: 'json' | 'csv') => {
    setExporting(format);
    try {
      const file = await client.exportContexts(format);
      const name =
        file.filename && file.filename !== `contexts.${format}`
          ? file.filename.replace(/^"|"$/g, '')
          : `contexts_${isoDate()}.${format}`;
      download(name, file.body, format === 'json' ? 'application/json' : 'text/csv');
      log('server', `Exported contexts as ${format.toUpperCase()}`);
      notify('success', `Exported contexts as ${format.toUpperCase()}`);
    } catch (error) {
      notify('error', errorMessage(error, 'Failed to export contexts'));
    } finally {
      setExporting(null);
    }
  };

  const runImport = async () => {
    if (!file) {
      return;
    }
    setResult(null);
    setImportError(null);
    const content = new Uint8Array(await file.arrayBuffer());
    importer.mutate(
      { name: file.name, content, replace },
      {
        onSuccess: (outcome) => {
          setResult(outcome);
          log('server', `${importSummary(outcome)} from ${file.name}`);
          notify(outcome.total_errors > 0 ? 'info' : 'success', importSummary(outcome));
          setFile(null);
          if (fileRef.current) {
            fileRef.current.value = '';
          }
        },
        onError: (error) => {
          const message = errorMessage(error, 'Failed to import contexts');
          setImportError(message);
          notify('error', message);
        },
      },
    );
  };

  const start = () => {
    if (!file) {
      return;
    }
    if (!/\.(json|csv)$/i.test(file.name)) {
      setImportError('Only JSON or CSV files can be imported');
      return;
    }
    if (replace) {
      setConfirmReplace(true);
      return;
    }
    void runImport();
  };

  return (
    <section className="card" aria-labelledby={ids.title}>
      <h3 id={ids.title}>Import and export</h3>
      <div className="button-row">
        <button type="button" className="button" onClick={() => void exportAs('json')} disabled={exporting !== null}>
          {exporting === 'json' ? 'Exporting…' : 'Export as JSON'}
        </button>
        <button type="button" className="button" onClick={() => void exportAs('csv')} disabled={exporting !== null}>
          {exporting === 'csv' ? 'Exporting…' : 'Export as CSV'}
        </button>
      </div>
      <form
        className="form import-form"
        onSubmit={(event) => {
          event.preventDefault();
          start();
        }}
      >
        <div className="field">
          <label htmlFor={ids.file}>Import file (JSON or CSV)</label>
          <input
            ref={fileRef}
            id={ids.file}
            type="file"
            accept=".json,.csv,application/json,text/csv"
            onChange={(event) => {
              setFile(event.target.files?.[0] ?? null);
              setImportError(null);
            }}
          />
        </div>
        <label className="checkbox" htmlFor={ids.replace}>
          <input
            id={ids.replace}
            type="checkbox"
            checked={replace}
            onChange={(event) => setReplace(event.target.checked)}
          />
          Replace all existing contexts
        </label>
        <button type="submit" className="button button--primary" disabled={!file || importer.isPending}>
          {importer.isPending ? 'Importing…' : 'Import'}
        </button>
      </form>
      {importError ? (
        <p role="alert" className="form-error">
          {importError}
        </p>
      ) : null}
      {result ? (
        <div className="import-result" role="status" data-testid="import-result">
          <p>{importSummary(result)}.</p>
          {result.errors.length > 0 ? (
            <>
              <p>
                {result.total_errors} {result.total_errors === 1 ? 'item was' : 'items were'} not imported:
              </p>
              <ul className="import-errors">
                {result.errors.slice(0, SHOWN_ERRORS).map((message, index) => (
                  <li key={index}>{message}</li>
                ))}
              </ul>
              {result.total_errors > SHOWN_ERRORS ? (
                <p className="muted small">…and {result.total_errors - SHOWN_ERRORS} more.</p>
              ) : null}
            </>
          ) : null}
        </div>
      ) : null}
      {confirmReplace ? (
        <ConfirmDialog
          title="Replace all contexts?"
          message="Every context that is not in the file will be deleted. Consider exporting first."
          confirmLabel="Replace and import"
          onCancel={() => setConfirmReplace(false)}
          onConfirm={() => {
            setConfirmReplace(false);
            void runImport();
          }}
        />
      ) : null}
    </section>
  );
}
