// The SQL editor: CodeMirror with DuckDB-flavoured SQL highlighting and
// completion of keywords, tables and their columns. Ctrl+Enter (or
// Cmd+Enter) runs the query.

import { useEffect, useRef } from 'preact/hooks';
import { Compartment, EditorState, Prec } from '@codemirror/state';
import { EditorView, drawSelection, keymap, placeholder } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching, syntaxHighlighting } from '@codemirror/language';
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { PostgreSQL, sql } from '@codemirror/lang-sql';
import { editorTheme, highlight } from './editorStyle';

export interface SqlEditorProps {
  value: string;
  /** Table name → its columns, for completion. */
  schema: Record<string, string[]>;
  onChange: (text: string) => void;
  onExecute: () => void;
}

export function SqlEditor({ value, schema, onChange, onExecute }: SqlEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const callbacks = useRef({ onChange, onExecute });
  callbacks.current = { onChange, onExecute };

  const view = useRef<EditorView | null>(null);
  // The schema arrives after the editor is made: it is swapped in place,
  // keeping the text, the cursor and the undo history.
  const language = useRef(new Compartment());

  useEffect(() => {
    view.current = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          history(),
          drawSelection(),
          bracketMatching(),
          closeBrackets(),
          autocompletion(),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': 'SQL query' }),
          placeholder('SELECT … (Ctrl+Enter runs it)'),
          // DuckDB's SQL is close to PostgreSQL's.
          language.current.of(sql({ dialect: PostgreSQL, schema, upperCaseKeywords: true })),
          syntaxHighlighting(highlight),
          editorTheme,
          Prec.highest(
            keymap.of([
              {
                key: 'Mod-Enter',
                run: () => {
                  callbacks.current.onExecute();
                  return true;
                },
              },
            ]),
          ),
          keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap]),
          EditorView.updateListener.of((u) => u.docChanged && callbacks.current.onChange(u.state.doc.toString())),
        ],
      }),
    });
    view.current.focus();
    return () => view.current?.destroy();
    // The text is the editor's own after creation.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    view.current?.dispatch({
      effects: language.current.reconfigure(sql({ dialect: PostgreSQL, schema, upperCaseKeywords: true })),
    });
  }, [schema]);

  return <div class="sql-editor" ref={host} />;
}
