import type { Chart } from 'chart.js';

// Chart.js is loaded only when a chart is drawn (the usage page): the providers page's budget
// never pays for it. Only the parts the console uses are registered, so the chunk stays small.
let loaded: Promise<typeof Chart> | undefined;

/** Chart.js with bar charts, their scales, tooltips and nothing else. */
export function loadChart(): Promise<typeof Chart> {
  loaded ??= import('chart.js').then((module) => {
    module.Chart.register(
      module.BarController,
      module.BarElement,
      module.CategoryScale,
      module.LinearScale,
      module.Tooltip,
    );
    return module.Chart;
  });
  return loaded;
}

/** Colours of a chart for the current colour scheme (dark mode follows the system). */
export function chartColors() {
  const dark = matchMedia('(prefers-color-scheme: dark)').matches;
  return {
    bar: dark ? '#818cf8' : '#4f46e5',
    text: dark ? '#a1a1aa' : '#52525b',
    grid: dark ? '#27272a' : '#e4e4e7',
  };
}
