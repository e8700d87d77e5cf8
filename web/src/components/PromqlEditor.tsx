// The PromQL editor: CodeMirror with Prometheus's own PromQL language
// package (highlighting, the offline linter for inline parse errors, and
// completion of functions, metric names, label names and values read from
// this server's API). Enter runs the query, Shift+Enter adds a line.

import { useEffect, useRef } from 'preact/hooks';
import { EditorState, Prec } from '@codemirror/state';
import {
  EditorView,
  drawSelection,
  highlightSpecialChars,
  keymap,
  placeholder,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, insertNewlineAndIndent } from '@codemirror/commands';
import { bracketMatching, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import {
  acceptCompletion,
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
  completionStatus,
} from '@codemirror/autocomplete';
import { lintKeymap } from '@codemirror/lint';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import { serverBase } from '../lib/api';
import { editorTheme, highlight } from './editorStyle';

/** One completion client for the page: its cache serves every panel. */
let sharedPromql: PromQLExtension | null = null;
function promqlExtension(): PromQLExtension {
  sharedPromql ??= new PromQLExtension().setComplete({
    remote: {
      url: serverBase(),
      httpMethod: 'POST',
      // A failed completion request is not the user's error; it is logged
      // quietly and completion carries on with what it has.
      httpErrorHandler: (error: unknown) => console.warn('completion request failed:', error),
    },
  });
  return sharedPromql;
}

export interface PromqlEditorProps {
  value: string;
  onChange: (expr: string) => void;
  onExecute: () => void;
  autoFocus?: boolean;
}

export function PromqlEditor({ value, onChange, onExecute, autoFocus }: PromqlEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  // The callbacks change on every render; the editor reads the latest.
  const callbacks = useRef({ onChange, onExecute });
  /** Texts the editor reported since it and `value` last agreed. */
  const reported = useRef(new Set<string>());
  callbacks.current = { onChange, onExecute };

  useEffect(() => {
    const runKeymap = Prec.highest(
      keymap.of([
        {
          // Enter takes the highlighted completion when the list is open.
          key: 'Enter',
          run: (v) => {
            if (completionStatus(v.state) === 'active') return acceptCompletion(v);
            callbacks.current.onExecute();
            return true;
          },
        },
        { key: 'Tab', run: acceptCompletion },
        { key: 'Shift-Enter', run: insertNewlineAndIndent },
      ]),
    );
    view.current = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          highlightSpecialChars(),
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          closeBrackets(),
          autocompletion(),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': 'PromQL expression' }),
          placeholder('Expression (press Shift+Enter for newlines)'),
          syntaxHighlighting(highlight),
          editorTheme,
          runKeymap,
          keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap]),
          promqlExtension().asExtension(),
          EditorView.updateListener.of((update) => {
            if (!update.docChanged) return;
            const text = update.state.doc.toString();
            reported.current.add(text);
            callbacks.current.onChange(text);
          }),
        ],
      }),
    });
    if (autoFocus) view.current.focus();
    return () => view.current?.destroy();
    // The editor is made once; later values arrive through the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // A value set from outside replaces the text. A value the editor itself
  // reported is not from outside, even when it arrives after later
  // keystrokes (renders lag behind fast typing): writing it back would undo
  // those keystrokes and start a ping-pong between the two texts.
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const text = v.state.doc.toString();
    if (text === value) {
      reported.current.clear();
    } else if (!reported.current.has(value)) {
      reported.current.clear();
      v.dispatch({ changes: { from: 0, to: text.length, insert: value } });
    }
  }, [value]);

  return <div class="promql-editor" ref={host} />;
}
