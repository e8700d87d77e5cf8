// The UI's shell: the header with its navigation and theme switch, and the
// page the path names.

import { Fragment, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { linkClick, useRoute } from './lib/router';
import {
  loadThemeChoice,
  onSystemThemeChange,
  resolveTheme,
  saveThemeChoice,
  ThemeContext,
  type ThemeChoice,
} from './lib/theme';
import { AlertsPage } from './pages/alerts/AlertsPage';
import { HistoryPage } from './pages/alerts/HistoryPage';
import { RulesPage } from './pages/alerts/RulesPage';
import { SilencesPage } from './pages/alerts/SilencesPage';
import { ExplorePage } from './pages/explore/ExplorePage';
import { MetricPage } from './pages/explore/MetricPage';
import { QueryPage } from './pages/query/QueryPage';
import { SqlPage } from './pages/sql/SqlPage';
import { ColdTierPage, ConfigPage, FlagsPage, RuntimePage, TsdbStatusPage } from './pages/status/StatusPages';
import { TargetsPage } from './pages/targets/TargetsPage';

interface PageEntry {
  path: string;
  title: string;
  render: () => preact.JSX.Element;
  /** Other paths that open the same page (Prometheus's old names). */
  aliases?: string[];
}

const pages: PageEntry[] = [
  { path: 'query', title: 'Query', render: () => <QueryPage />, aliases: ['', 'graph'] },
  { path: 'explore', title: 'Explore', render: () => <ExplorePage /> },
  { path: 'sql', title: 'SQL', render: () => <SqlPage /> },
  { path: 'alerts', title: 'Alerts', render: () => <AlertsPage /> },
  { path: 'targets', title: 'Targets', render: () => <TargetsPage /> },
  { path: 'status', title: 'Status', render: () => <RuntimePage /> },
];

/** Pages without an entry of their own in the header (they belong to one that has). */
const subpages: (PageEntry & { parent: string })[] = [
  { path: 'metric', title: 'Metric', render: () => <MetricPage />, parent: 'explore' },
  { path: 'rules', title: 'Rules', render: () => <RulesPage />, parent: 'alerts' },
  { path: 'silences', title: 'Silences', render: () => <SilencesPage />, parent: 'alerts' },
  { path: 'alert-history', title: 'Alert history', render: () => <HistoryPage />, parent: 'alerts' },
  { path: 'tsdb-status', title: 'TSDB status', render: () => <TsdbStatusPage />, parent: 'status' },
  { path: 'cold-tier', title: 'Cold tier', render: () => <ColdTierPage />, parent: 'status' },
  { path: 'flags', title: 'Flags', render: () => <FlagsPage />, parent: 'status' },
  { path: 'config', title: 'Configuration', render: () => <ConfigPage />, parent: 'status' },
];

function findPage(route: string): PageEntry | undefined {
  return [...pages, ...subpages].find((p) => p.path === route || p.aliases?.includes(route));
}

/** The header entry a page is under. */
function headerEntry(page: PageEntry | undefined): PageEntry | undefined {
  const parent = subpages.find((p) => p === page)?.parent;
  return parent ? pages.find((p) => p.path === parent) : page;
}

const themeLabels: Record<ThemeChoice, string> = { auto: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' };
const nextTheme: Record<ThemeChoice, ThemeChoice> = { auto: 'light', light: 'dark', dark: 'auto' };

function App() {
  const { route, visit } = useRoute();
  const [choice, setChoice] = useState<ThemeChoice>(loadThemeChoice);
  const [theme, setTheme] = useState(() => resolveTheme(choice));
  useEffect(() => {
    const apply = () => {
      const resolved = resolveTheme(choice);
      document.documentElement.dataset.theme = resolved;
      setTheme(resolved);
    };
    apply();
    return onSystemThemeChange(apply);
  }, [choice]);

  const page = findPage(route);
  useEffect(() => {
    document.title = page ? `${page.title} · MyTSDB` : 'Not found · MyTSDB';
  }, [page]);

  return (
    <ThemeContext.Provider value={theme}>
      <header class="top">
        <a class="brand" href="query" onClick={linkClick}>
          <img src="favicon.svg" alt="" width="20" height="20" />
          MyTSDB
        </a>
        <nav>
          {pages.map((p) => (
            <a href={p.path} onClick={linkClick} aria-current={p === headerEntry(page) ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <button
          type="button"
          class="theme-switch"
          title={themeLabels[choice]}
          aria-label={themeLabels[choice]}
          onClick={() => {
            const next = nextTheme[choice];
            saveThemeChoice(next);
            setChoice(next);
          }}
        >
          {theme === 'dark' ? '☾' : '☀'}
        </button>
      </header>
      {page ? (
        <Fragment key={visit}>{page.render()}</Fragment>
      ) : (
        <main class="page">
          <h1>Page not found</h1>
          <p>
            There is no page at <code>/{route}</code>.{' '}
            <a href="query" onClick={linkClick}>
              Go to the query page
            </a>
            .
          </p>
        </main>
      )}
    </ThemeContext.Provider>
  );
}

render(<App />, document.getElementById('app')!);
