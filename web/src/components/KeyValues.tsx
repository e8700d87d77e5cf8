// A two-column table of names and values.

import type { ComponentChildren } from 'preact';

export function KeyValues({ rows }: { rows: [string, ComponentChildren][] }) {
  return (
    <table class="kv-table">
      <tbody>
        {rows.map(([k, v]) => (
          <tr>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
