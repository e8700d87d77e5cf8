// Page paths relative to the <base href> (the route prefix), changed with
// the History API so that links open without reloading the page.

import { useEffect, useState } from 'preact/hooks';

/** The page's path below the base, without slashes at either end ("" at the root). */
export function currentRoute(): string {
  const base = new URL('.', document.baseURI).pathname;
  const path = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : location.pathname;
  return path.replace(/^\/+|\/+$/g, '');
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

/** Goes to a page ("query", "targets?x=1") relative to the base. */
export function navigate(to: string) {
  history.pushState(null, '', new URL(to, document.baseURI).href);
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

/**
 * The current page path, and a count of visits: it changes with every link
 * followed and every Back or Forward, also to the same path with other
 * parameters, so that a page keyed by it starts again from its URL.
 */
export function useRoute(): { route: string; visit: number } {
  const [state, setState] = useState(() => ({ route: currentRoute(), visit: 0 }));
  useEffect(() => {
    const update = () => setState((s) => ({ route: currentRoute(), visit: s.visit + 1 }));
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return state;
}

/** A click handler for <a href="page">: the page changes in place unless a modifier asks for a new tab. */
export function linkClick(e: MouseEvent) {
  const a = (e.currentTarget as HTMLAnchorElement) ?? null;
  if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href')!);
}
