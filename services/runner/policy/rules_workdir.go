package policy

// RuleProcWorkdir refuses a working directory under /proc after cleaning
// the path (container working_dir, compose working_dir, exec and hook
// working directories, Dockerfile WORKDIR, an image's WORKDIR): a process
// started in /proc/self/fd/<n> can reach a descriptor the runtime leaked
// and, through it, the host's filesystem (the "Leaky Vessels" class,
// CVE-2024-21626). Use a directory of the image.
const RuleProcWorkdir = "no-proc-workdir"
