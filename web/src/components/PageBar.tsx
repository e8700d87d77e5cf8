// The heading bar of a list page: its title, a filter, anything the page
// adds, and a Refresh button.

import type { ComponentChildren } from 'preact';
import { FilterInput } from './FilterInput';

export function PageBar({
  title,
  filterLabel,
  filterPlaceholder,
  filter,
  onFilter,
  onRefresh,
  children,
}: {
  title: string;
  filterLabel: string;
  filterPlaceholder: string;
  filter: string;
  onFilter: (text: string) => void;
  onRefresh: () => void;
  children?: ComponentChildren;
}) {
  return (
    <div class="page-bar">
      <h1>{title}</h1>
      <FilterInput label={filterLabel} placeholder={filterPlaceholder} value={filter} onChange={onFilter} />
      {children}
      <button type="button" onClick={onRefresh}>
        Refresh
      </button>
    </div>
  );
}
