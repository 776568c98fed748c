/**
 * Orders version names: integers and dotted numbers (`3`, `1.10.2`, `v2.0.0-rc1`) compare part by part
 * numerically, a pre-release below its release; any other name ranks below those and compares lexically.
 */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (pa === undefined || pb === undefined) {
    if (pa !== pb) return pa === undefined ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  for (let i = 0; i < Math.max(pa.parts.length, pb.parts.length); i++) {
    const d = cmpDigits(pa.parts[i] ?? '0', pb.parts[i] ?? '0');
    if (d !== 0) return d;
  }
  if (pa.pre === pb.pre) return a < b ? -1 : a > b ? 1 : 0;
  if (pa.pre === '') return 1;
  if (pb.pre === '') return -1;
  return pa.pre < pb.pre ? -1 : 1;
}

const VERSION = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?$/;

function parseVersion(v: string): { parts: string[]; pre: string } | undefined {
  const m = VERSION.exec(v);
  return m === null ? undefined : { parts: m[1]!.split('.'), pre: m[2] ?? '' };
}

// Digit strings compared without Number(): a version like 20260101120000123456 must not lose precision.
function cmpDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
