package policy

// RuleProcWorkdir refuses a working directory under /proc (after cleaning
// the path): the Leaky Vessels class (CVE-2024-21626), where a working
// directory such as /proc/self/fd/<n> gives the container a leaked
// descriptor of the host's filesystem.
const RuleProcWorkdir = "no-proc-workdir"
