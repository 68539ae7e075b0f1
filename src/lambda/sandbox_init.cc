#include "lambda/sandbox_init.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace runnel::lambda {

namespace {

namespace fs = std::filesystem;

constexpr int kLifelineFd = 3;

struct Args {
  std::string code_dir, tmp_dir, cgroup;
  int uid = -1, gid = -1;
  long memory_mb = 128, tmp_mb = 512;
  bool namespaces = false;
  std::vector<char*> command;
};

bool parse(int argc, char** argv, Args& a) {
  int i = 2;
  for (; i + 1 < argc && std::strcmp(argv[i], "--") != 0; i += 2) {
    std::string_view key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--code-dir") a.code_dir = value;
    else if (key == "--tmp-dir") a.tmp_dir = value;
    else if (key == "--cgroup") a.cgroup = value;
    else if (key == "--uid") a.uid = std::atoi(value);
    else if (key == "--gid") a.gid = std::atoi(value);
    else if (key == "--memory-mb") a.memory_mb = std::atol(value);
    else if (key == "--tmp-mb") a.tmp_mb = std::atol(value);
    else if (key == "--namespaces") a.namespaces = std::strcmp(value, "1") == 0;
    else return false;
  }
  if (i >= argc || std::strcmp(argv[i], "--") != 0 || i + 1 >= argc) return false;
  for (++i; i < argc; ++i) a.command.push_back(argv[i]);
  a.command.push_back(nullptr);
  // Absolute (the bootstrap runs in the code's directory, and a bind mount needs a full path).
  std::error_code ec;
  fs::path absolute = fs::absolute(a.code_dir, ec);
  if (!ec) a.code_dir = absolute.lexically_normal().string();
  static std::string program;
  program = fs::absolute(a.command[0], ec).lexically_normal().string();
  if (!ec) a.command[0] = program.data();
  return !a.code_dir.empty();
}

bool write_file(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// A memory cgroup for the sandbox with MemorySize as its limit (and no swap to spill into).
bool make_cgroup(const std::string& dir, long memory_mb) {
  if (dir.empty()) return false;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return false;
  std::string bytes = std::to_string(memory_mb * 1024 * 1024);
  bool ok;
  if (::access((dir + "/memory.max").c_str(), F_OK) == 0) {  // cgroup v2
    ok = write_file(dir + "/memory.max", bytes);
    write_file(dir + "/memory.swap.max", "0");
  } else {  // v1
    ok = write_file(dir + "/memory.limit_in_bytes", bytes);
    write_file(dir + "/memory.memsw.limit_in_bytes", bytes);
  }
  if (!ok) ::rmdir(dir.c_str());
  return ok;
}

std::vector<pid_t> cgroup_members(const std::string& dir) {
  std::vector<pid_t> pids;
  std::ifstream in(dir + "/cgroup.procs");
  for (pid_t p; in >> p;) pids.push_back(p);
  return pids;
}

// Processes whose parent is this one (orphans of the function's tree reparent here: subreaper).
std::vector<pid_t> own_children() {
  std::vector<pid_t> pids;
  pid_t self = ::getpid();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == self) pids.push_back(std::stoi(name));
  }
  return pids;
}

// The code at /var/task, read-only, as on AWS (LAMBDA_TASK_ROOT=/var/task): the function's uid
// then reaches its code whatever the data directory's parents allow (a data dir under a 0700 home
// or mkdtemp directory is not traversable by it). /var/task is made on the host if missing (an
// empty mount point); where it cannot be, the code stays at its own path.
void task_root(Args& a) {
  static std::string bootstrap;
  constexpr const char* kTaskRoot = "/var/task";
  if (::mkdir(kTaskRoot, 0755) != 0 && errno != EEXIST) return;
  if (::mount(a.code_dir.c_str(), kTaskRoot, nullptr, MS_BIND, nullptr) != 0) return;
  ::mount(nullptr, kTaskRoot, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID, nullptr);
  std::string program = a.command[0];
  if (program.starts_with(a.code_dir + "/")) {
    bootstrap = kTaskRoot + program.substr(a.code_dir.size());
    a.command[0] = bootstrap.data();
  }
  a.code_dir = kTaskRoot;
  ::setenv("LAMBDA_TASK_ROOT", kTaskRoot, 1);
}

// /tmp becomes a tmpfs of EphemeralStorage's size, private to this mount namespace. When the code
// lies under /tmp (a data dir there), its path is made again inside the tmpfs and the code
// bind-mounted there, read-only, so LAMBDA_TASK_ROOT stays valid.
bool private_tmp(const Args& a) {
  int code = ::open(a.code_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (code < 0) return false;
  std::string options = "size=" + std::to_string(a.tmp_mb) + "m,mode=1777";
  bool ok = ::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0;
  if (ok && a.code_dir.starts_with("/tmp/")) {
    std::error_code ec;
    fs::create_directories(a.code_dir, ec);
    for (fs::path p = a.code_dir; p != "/tmp" && p.has_parent_path(); p = p.parent_path()) ::chmod(p.c_str(), 0755);
    std::string source = "/proc/self/fd/" + std::to_string(code);
    ok = !ec && ::mount(source.c_str(), a.code_dir.c_str(), nullptr, MS_BIND, nullptr) == 0;
    if (ok) ::mount(nullptr, a.code_dir.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID, nullptr);
  }
  ::close(code);
  return ok;
}

// Kills the bootstrap and everything left of its tree, reaping as it goes; `status` gets the
// bootstrap's wait status if it had not been reaped yet.
void end_tree(pid_t child, bool& child_reaped, int& status, const std::string& cgroup) {
  if (!child_reaped) ::kill(child, SIGKILL);
  for (int round = 0; round < 400; ++round) {
    bool any = false;
    for (pid_t p : own_children()) any |= ::kill(p, SIGKILL) == 0;
    if (!cgroup.empty())
      for (pid_t p : cgroup_members(cgroup)) any |= ::kill(p, SIGKILL) == 0;
    int st = 0;
    pid_t p;
    while ((p = ::waitpid(-1, &st, WNOHANG)) > 0) {
      any = true;
      if (p == child) {
        child_reaped = true;
        status = st;
      }
    }
    if (p < 0 && errno == ECHILD && !any) return;
    ::usleep(5000);
  }
}

[[noreturn]] void exit_as(int status) {
  if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
  ::signal(sig, SIG_DFL);
  sigset_t all;
  sigfillset(&all);
  ::sigprocmask(SIG_UNBLOCK, &all, nullptr);
  ::kill(::getpid(), sig);
  ::_exit(128 + sig);
}

}  // namespace

int sandbox_init_main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, a)) {
    std::fprintf(stderr, "runnel sandbox: bad arguments\n");
    return 111;
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &term, nullptr);
  int signals = ::signalfd(-1, &term, SFD_CLOEXEC);
  ::signal(SIGPIPE, SIG_IGN);
  int lifeline = ::fcntl(kLifelineFd, F_GETFD) >= 0 ? kLifelineFd : -1;
  if (lifeline >= 0) ::fcntl(lifeline, F_SETFD, FD_CLOEXEC);

  const bool root = ::geteuid() == 0;
  bool tmpfs = false, pid_namespace = false;
  if (a.namespaces && root && ::unshare(CLONE_NEWNS) == 0 &&
      ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0) {
    task_root(a);
    tmpfs = private_tmp(a);
    pid_namespace = ::unshare(CLONE_NEWPID) == 0;
  }
  bool made_tmp_dir = false;
  if (!tmpfs && !a.tmp_dir.empty()) {
    // No private /tmp: a TMPDIR of its own, which only the function's uid may enter.
    made_tmp_dir = ::mkdir(a.tmp_dir.c_str(), 0700) == 0;
    if (made_tmp_dir && root && a.uid >= 0) (void)!::chown(a.tmp_dir.c_str(), a.uid, a.gid);
    if (made_tmp_dir) ::setenv("TMPDIR", a.tmp_dir.c_str(), 1);
  }
  const bool cgroup = root && make_cgroup(a.cgroup, a.memory_mb);

  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) return 111;
  pid_t child = ::fork();
  if (child < 0) return 111;
  if (child == 0) {
    ::close(go[1]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the init is single-threaded: its death is this thread's parent's
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    // PID 1 of the new namespace: a /proc of its own (the host's processes are not its business).
    if (pid_namespace) ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
    char byte;
    while (::read(go[0], &byte, 1) < 0 && errno == EINTR) {
    }
    ::close(go[0]);
    if (!cgroup) {
      // No cgroup: the data segment is bounded instead (an allocation past it fails rather than
      // the process being killed).
      rlimit limit{static_cast<rlim_t>(a.memory_mb) * 1024 * 1024, static_cast<rlim_t>(a.memory_mb) * 1024 * 1024};
      ::setrlimit(RLIMIT_DATA, &limit);
    }
    if (root && a.uid >= 0) {
      if (::setgroups(0, nullptr) != 0 || ::setresgid(a.gid, a.gid, a.gid) != 0 || ::setresuid(a.uid, a.uid, a.uid) != 0) {
        std::fprintf(stderr, "runnel sandbox: cannot drop to uid %d: %s\n", a.uid, std::strerror(errno));
        ::_exit(126);
      }
    }
    ::umask(022);
    if (::chdir(a.code_dir.c_str()) != 0) {
      std::fprintf(stderr, "chdir %s: %s\n", a.code_dir.c_str(), std::strerror(errno));
      ::_exit(127);
    }
    ::execv(a.command[0], a.command.data());
    std::fprintf(stderr, "fork/exec %s: %s\n", a.command[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(go[0]);
  if (cgroup) write_file(a.cgroup + "/cgroup.procs", std::to_string(child));
  ::close(go[1]);  // the bootstrap may run now (inside its cgroup)
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));

  int status = 0;
  bool child_reaped = false, ended_by_runnel = false;
  pollfd fds[3] = {{pidfd, POLLIN, 0}, {lifeline, POLLIN, 0}, {signals, POLLIN, 0}};
  while (!child_reaped) {
    // Once a second at least: orphans reparented here are reaped (no zombies pile up).
    int rc = ::poll(fds, 3, 1000);
    if (rc < 0 && errno != EINTR) break;
    int st = 0;
    pid_t p;
    while ((p = ::waitpid(-1, &st, WNOHANG)) > 0)
      if (p == child) {
        child_reaped = true;
        status = st;
      }
    if (child_reaped) break;
    if (rc > 0 && ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) || (fds[2].revents & POLLIN))) {
      ended_by_runnel = true;  // runnel is gone (EOF on the lifeline) or retires the sandbox (SIGTERM)
      break;
    }
  }
  end_tree(child, child_reaped, status, cgroup ? a.cgroup : std::string());
  if (cgroup) {
    for (int i = 0; i < 100 && ::rmdir(a.cgroup.c_str()) != 0 && errno == EBUSY; ++i) ::usleep(10000);
  }
  if (made_tmp_dir) {
    std::error_code ec;
    fs::remove_all(a.tmp_dir, ec);
  }
  if (ended_by_runnel) exit_as(SIGKILL);  // as a killed sandbox: "signal: killed"
  exit_as(status);
}

}  // namespace runnel::lambda
