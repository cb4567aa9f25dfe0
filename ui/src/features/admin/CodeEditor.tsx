import { javascript } from '@codemirror/lang-javascript';
import { json } from '@codemirror/lang-json';
import { python } from '@codemirror/lang-python';
import { StreamLanguage } from '@codemirror/language';
import { shell } from '@codemirror/legacy-modes/mode/shell';
import { Compartment, EditorState, type Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';

export type CodeLanguage = 'python' | 'javascript' | 'bash' | 'json';

function languageOf(language: CodeLanguage): Extension {
  if (language === 'python') return python();
  if (language === 'javascript') return javascript();
  if (language === 'json') return json();
  return StreamLanguage.define(shell);
}

/** A CodeMirror 6 editor as a controlled input: `value` in, `onChange` out, language switchable. */
export function CodeEditor({
  value,
  onChange,
  language,
  label,
  minHeight = 160,
  invalid,
}: {
  value: string;
  onChange(value: string): void;
  language: CodeLanguage;
  /** The accessible name of the editing area. */
  label: string;
  minHeight?: number;
  invalid?: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const languageSlot = useRef(new Compartment());
  const latest = useRef(onChange);
  latest.current = onChange;

  useEffect(() => {
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          languageSlot.current.of(languageOf(language)),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) latest.current(update.state.doc.toString());
          }),
          EditorView.contentAttributes.of({ 'aria-label': label }),
          EditorView.theme({ '&': { fontSize: '12.5px' }, '.cm-content, .cm-gutter': { minHeight: `${minHeight}px` }, '.cm-scroller': { fontFamily: 'ui-monospace, Menlo, Consolas, monospace' } }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // The editor is made once; value and language changes reach it through the effects below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    view.current?.dispatch({ effects: languageSlot.current.reconfigure(languageOf(language)) });
  }, [language]);

  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
    }
  }, [value]);

  return <div ref={host} className={`admin-code${invalid ? ' invalid' : ''}`} data-language={language} />;
}
