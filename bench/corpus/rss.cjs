// Preloaded into each measured process: reports its peak resident memory on exit.
process.on('exit', () => {
  const file = process.env.VITRINE_BENCH_RSS;
  if (file) require('node:fs').writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
});
