// Preloaded (`node --require`) into a CLI run by the benchmark: writes the process's peak RSS in
// bytes to the file named by MTLS_DOCTOR_PEAK_RSS_FILE when it exits, whatever the exit code.
const { writeFileSync } = require('node:fs');

const file = process.env.MTLS_DOCTOR_PEAK_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
