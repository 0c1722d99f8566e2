// Preloaded (`node --require`) into a CLI run by the benchmark: writes the process's peak RSS in
// bytes to the file named by MTLS_DOCTOR_PEAK_RSS_FILE when it exits, whatever the exit code.
// Linux's VmHWM, not getrusage's maxRSS: maxRSS survives exec, so a child of a large benchmark process
// would report its parent's size (a 300 MB parent made `node -e 0` read 311 MB).
const { readFileSync, writeFileSync } = require('node:fs');

function peakRssBytes() {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // Not Linux: getrusage is the best there is.
  }
  return process.resourceUsage().maxRSS * 1024;
}

const file = process.env.MTLS_DOCTOR_PEAK_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(peakRssBytes())));
