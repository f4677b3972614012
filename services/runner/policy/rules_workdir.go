package policy

// RuleProcWorkdir refuses a working directory under /proc (container
// working_dir, compose working_dir, Dockerfile WORKDIR): a process started
// there can reach the runtime's leaked file descriptors and, through
// them, the host (the "Leaky Vessels" class). Use a directory of the image.
const RuleProcWorkdir = "no-proc-workdir"
