// The supervisor of one sandbox: a small process runnel starts (its own binary, exec'd with
// kSandboxInitCommand) that sets up the function's isolation, starts the bootstrap and makes sure
// that nothing the function started outlives the sandbox.
//
// runnel → init (runnel's uid; its own process group; subreaper) → bootstrap (the function's uid)
//
// As root (and where the kernel allows it) the init enters a new mount and PID namespace: the
// bootstrap is PID 1 of its namespace, so when it ends, or is killed, the kernel kills every process
// of the namespace, `setsid` or not; /proc shows only the namespace, /tmp is a tmpfs of
// EphemeralStorage's size. MemorySize is a memory cgroup's limit where one can be made (the kernel's
// OOM killer then ends the bootstrap with SIGKILL: "Runtime exited with error: signal: killed", as
// on AWS), else RLIMIT_DATA. Without a namespace the init is the subreaper of the function's tree
// and kills what is left of it (its orphans, found in /proc, and the cgroup's members) before it
// exits.
//
// The init ends, killing the tree, when the bootstrap exits (reporting its status as its own, so
// runnel's waitpid sees the bootstrap's), on SIGTERM (runnel retires the sandbox), and when fd 3
// (runnel's lifeline pipe) reads EOF: runnel has exited, even by kill -9.
#pragma once

#include <string_view>

namespace runnel::lambda {

inline constexpr std::string_view kSandboxInitCommand = "__lambda-sandbox";

// argv: <program> __lambda-sandbox <option>... -- <bootstrap>. Options (one value each):
//   --code-dir DIR      the function's code (working directory; kept visible under a private /tmp)
//   --uid N --gid N     drop to these before exec (as root); -1: keep runnel's
//   --memory-mb N       MemorySize
//   --tmp-mb N          EphemeralStorage (the private /tmp's size)
//   --tmp-dir DIR       without a mount namespace: the private TMPDIR to make (and remove after)
//   --cgroup DIR        a memory cgroup to make for the sandbox ("" : none); v1 or v2 by its files
//   --namespaces 0|1    try the mount and PID namespaces
// The environment is the bootstrap's. Returns the exit status (or raises the bootstrap's signal).
int sandbox_init_main(int argc, char** argv);

// Whether argv asks for the init (main() calls sandbox_init_main before anything else).
inline bool is_sandbox_init(int argc, char** argv) { return argc > 1 && std::string_view(argv[1]) == kSandboxInitCommand; }

}  // namespace runnel::lambda
