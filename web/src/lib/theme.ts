// Light and dark themes: the system's by default, or the user's choice kept
// in localStorage. The resolved theme is set as <html data-theme>, which the
// stylesheet's variables follow; charts read it to pick their colours.

import { createContext } from 'preact';

export type ThemeChoice = 'auto' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

const storageKey = 'mytsdb.theme';
const systemDark = () => window.matchMedia('(prefers-color-scheme: dark)').matches;

export function loadThemeChoice(): ThemeChoice {
  const saved = localStorage.getItem(storageKey);
  return saved === 'light' || saved === 'dark' ? saved : 'auto';
}

export function saveThemeChoice(choice: ThemeChoice) {
  if (choice === 'auto') localStorage.removeItem(storageKey);
  else localStorage.setItem(storageKey, choice);
}

export function resolveTheme(choice: ThemeChoice): Theme {
  return choice === 'auto' ? (systemDark() ? 'dark' : 'light') : choice;
}

/** Calls back when the system's preference changes; returns the unsubscribe. */
export function onSystemThemeChange(callback: () => void): () => void {
  const query = window.matchMedia('(prefers-color-scheme: dark)');
  query.addEventListener('change', callback);
  return () => query.removeEventListener('change', callback);
}

export const ThemeContext = createContext<Theme>('light');

/** A CSS variable's value under the current theme. */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
