// Tabs between the pages of one header entry (Status, Alerts), each at a
// path of its own.

import type { ComponentChildren } from 'preact';
import { linkClick } from '../lib/router';

export interface SubPage {
  path: string;
  title: string;
}

export function SubNav({
  label,
  pages,
  current,
  className,
  children,
}: {
  label: string;
  pages: SubPage[];
  current: string;
  className?: string;
  children: ComponentChildren;
}) {
  return (
    <main class={`page ${className ?? ''}`}>
      <nav class="subnav" aria-label={label}>
        {pages.map((p) => (
          <a href={p.path} onClick={linkClick} aria-current={p.path === current ? 'page' : undefined}>
            {p.title}
          </a>
        ))}
      </nav>
      {children}
    </main>
  );
}
