// The pages under the header's Alerts entry.
export const alertPages = [
  { path: 'alerts', title: 'Alerts' },
  { path: 'rules', title: 'Rules' },
  { path: 'silences', title: 'Silences' },
  { path: 'alert-history', title: 'History' },
];
