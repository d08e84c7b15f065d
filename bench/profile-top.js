// Summarises a .cpuprofile: self time per function (top N) and per package, as shares of busy (non-idle) time.
const fs = require('fs');
const ROOT = `file://${require('path').resolve(__dirname, '..')}/`;
const profile = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const top = Number(process.argv[3] || 25);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++)
  self.set(profile.samples[i], (self.get(profile.samples[i]) || 0) + (dt[i] || 0));
const fn = new Map(),
  pkg = new Map();
let total = 0,
  idle = 0;
for (const [id, t] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  if (cf.functionName === '(idle)') {
    idle += t;
    continue;
  } // shares are of busy time; idle is reported apart
  total += t;
  const key = `${cf.functionName || '(anon)'} ${cf.url.replace(/^.*node_modules\//, '').replace(ROOT, '')}:${cf.lineNumber + 1}`;
  fn.set(key, (fn.get(key) || 0) + t);
  const m = cf.url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  const p = m ? m[1] : cf.url.includes(ROOT) ? 'ucv' : cf.url ? 'node' : cf.functionName;
  pkg.set(p, (pkg.get(p) || 0) + t);
}
const pct = (t) => ((100 * t) / total).toFixed(1).padStart(5) + '%';
console.log(`idle: ${((100 * idle) / (idle + total)).toFixed(1)}% of the profile; shares below are of busy time`);
console.log('by package:');
[...pkg]
  .sort((a, b) => b[1] - a[1])
  .slice(0, 15)
  .forEach(([k, t]) => console.log(pct(t), k));
console.log('by function:');
[...fn]
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)
  .forEach(([k, t]) => console.log(pct(t), k));
