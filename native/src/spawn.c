/*
 * spawn.c: starting a program without copying the daemon. Node's child_process forks: the kernel
 * copies the page tables of a 50-250 MB process and libuv then waits for the child's execve, so
 * every vrrp_script run held the event loop 7-17 ms (p50; up to 42 ms), measured on this 2-core
 * host. clone(CLONE_VM | CLONE_VFORK) shares the memory instead, as glibc's posix_spawn does; the
 * calling thread sleeps only until the child's execve. posix_spawn itself cannot set the
 * supplementary groups and ids of script_user, so the child is ours: it runs on its own stack and
 * makes only raw system calls (no malloc, no locks, no glibc setxid broadcast to the parent's
 * threads), in this order: signal dispositions to default, setsid, groups, gid, uid, stdio,
 * every other fd close-on-exec, an empty signal mask, execve along PATH. A failure before the
 * program runs is written to the shared struct and becomes an errno Error in the caller.
 *
 * The exit is a pidfd (CLONE_PIDFD) watched on the loop; when it is readable the child is reaped
 * with waitpid (it is ours alone: libuv waits only for the pids it started) and the callback gets
 * (exit code, signal number).
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The child's stack: the PATH search buffer and a few frames. */
#define CHILD_STACK_BYTES (64 * 1024)
#define CHILD_PATH_MAX 4096

/* Stdio modes, as bits of the `stdio` argument. */
enum { KV_STDIN_PIPE = 1, KV_OUTPUT_ALL = 2, KV_OUTPUT_STDERR = 4 };

typedef struct {
  const char *file;
  char **argv;
  char **envp;
  const char *search; /* PATH, for a file without a slash */
  int fds[3];         /* what becomes the child's 0, 1 and 2 */
  int set_ids;
  uid_t uid;
  gid_t gid;
  size_t ngroups;
  const gid_t *groups;
  volatile int err; /* errno of the step that failed, 0 once execve succeeded */
} child_args;

static void try_exec(child_args *a) {
  if (strchr(a->file, '/')) {
    syscall(SYS_execve, a->file, a->argv, a->envp);
    a->err = errno;
    return;
  }
  char path[CHILD_PATH_MAX];
  size_t flen = strlen(a->file);
  int seen_eacces = 0;
  const char *p = a->search;
  while (p) {
    const char *end = strchr(p, ':');
    size_t dlen = end ? (size_t)(end - p) : strlen(p);
    if (dlen == 0) { /* an empty entry is the current directory */
      p = end ? end + 1 : NULL;
      continue;
    }
    if (dlen + 1 + flen + 1 <= sizeof path) {
      memcpy(path, p, dlen);
      path[dlen] = '/';
      memcpy(path + dlen + 1, a->file, flen + 1);
      syscall(SYS_execve, path, a->argv, a->envp);
      if (errno == EACCES) seen_eacces = 1;
      else if (errno != ENOENT && errno != ENOTDIR) {
        a->err = errno;
        return;
      }
    }
    p = end ? end + 1 : NULL;
  }
  a->err = seen_eacces ? EACCES : ENOENT;
}

static int child_main(void *arg) {
  child_args *a = arg;
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  /* Node ignores SIGPIPE and handles others: the program starts with every default. */
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
  if (setsid() < 0) goto fail;
  if (a->set_ids) {
    if (syscall(SYS_setgroups, a->ngroups, a->groups) < 0) goto fail;
    if (syscall(SYS_setresgid, a->gid, a->gid, a->gid) < 0) goto fail;
    if (syscall(SYS_setresuid, a->uid, a->uid, a->uid) < 0) goto fail;
  }
  for (int i = 0; i < 3; i++) {
    /* dup3 leaves the copy without close-on-exec; an fd already in place only loses the flag. */
    long rc = a->fds[i] == i ? syscall(SYS_fcntl, i, F_SETFD, 0) : syscall(SYS_dup3, a->fds[i], i, 0);
    if (rc < 0) goto fail;
  }
  syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC); /* Linux 5.11; older kernels: CLOEXEC as opened */
  sigset_t none;
  sigemptyset(&none);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, _NSIG / 8);
  try_exec(a);
  _exit(127);
fail:
  a->err = errno;
  _exit(127);
}

typedef struct {
  kv_watch w;
  pid_t pid;
} exit_watch;

/* The pidfd is readable: reap the child and hand (code, signal) to JS, once. */
static void on_exit_readable(kv_watch *w, int status) {
  exit_watch *e = (exit_watch *)w;
  int wstatus = 0;
  pid_t r = waitpid(e->pid, &wstatus, WNOHANG);
  if (r == 0) return; /* not yet (a spurious wakeup) */
  int code = -1, signo = 0;
  if (r == e->pid && WIFEXITED(wstatus)) code = WEXITSTATUS(wstatus);
  else if (r == e->pid && WIFSIGNALED(wstatus)) signo = WTERMSIG(wstatus);
  napi_handle_scope scope;
  if (napi_open_handle_scope(w->env, &scope) != napi_ok) return;
  napi_value argv[2];
  napi_create_int32(w->env, code, &argv[0]);
  napi_create_int32(w->env, signo, &argv[1]);
  napi_env env = w->env; /* the watch is closed by the call */
  kv_watch_call_once(w, 0, 2, argv);
  napi_close_handle_scope(env, scope);
}

static const kv_watch_kind SPAWN_EXIT = {.resource = "keepvip:spawn", .api = "spawnProcess", .handle = "spawn",
                                         .on_event = on_exit_readable};

/* split turns a buffer of NUL-terminated strings into a NULL-terminated vector (malloc'd). */
static char **split(char *data, size_t length) {
  size_t n = 0;
  for (size_t i = 0; i < length; i++)
    if (data[i] == '\0') n++;
  char **v = calloc(n + 1, sizeof *v);
  if (!v) return NULL;
  size_t k = 0, start = 0;
  for (size_t i = 0; i < length && k < n; i++)
    if (data[i] == '\0') {
      v[k++] = data + start;
      start = i + 1;
    }
  return v;
}

static void close_all(int *fds, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0) close(fds[i]);
}

/*
 * spawnProcess(file, argv, env, search, ids, stdio, onExit) -> [pid, stdinFd, outputFd]
 *   argv, env: Buffers of NUL-terminated strings; search: PATH for a file without '/';
 *   ids: Int32Array [uid, gid, ...groups] or null (keep ours); stdio: KV_* bits;
 *   onExit(code, signal) runs once (code -1 when killed by a signal).
 * The fds are the parent's ends (-1 when not piped), non-blocking and close-on-exec. Throws
 * an errno Error (syscall "spawn") when the program could not be started.
 */
static napi_value spawn_process(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) {
    kv_throw_type(env, "spawnProcess(file, argv, env, search, ids, stdio, onExit) needs seven arguments");
    return NULL;
  }
  char file[CHILD_PATH_MAX], search[CHILD_PATH_MAX];
  if (kv_get_string(env, argv[0], file, sizeof file, "file") < 0) return NULL;
  void *args_data, *env_data;
  size_t args_len, env_len;
  if (kv_get_buffer(env, argv[1], &args_data, &args_len, "argv") < 0) return NULL;
  if (kv_get_buffer(env, argv[2], &env_data, &env_len, "env") < 0) return NULL;
  if (kv_get_string(env, argv[3], search, sizeof search, "search") < 0) return NULL;
  napi_valuetype ids_type;
  NAPI_CALL(env, napi_typeof(env, argv[4], &ids_type));
  const int32_t *ids = NULL;
  size_t nids = 0;
  if (ids_type != napi_null && ids_type != napi_undefined) {
    napi_typedarray_type ta;
    void *data;
    napi_value ab;
    size_t offset;
    if (napi_get_typedarray_info(env, argv[4], &ta, &nids, &data, &ab, &offset) != napi_ok || ta != napi_int32_array ||
        nids < 2) {
      kv_throw_type(env, "ids must be an Int32Array [uid, gid, ...groups]");
      return NULL;
    }
    ids = data;
  }
  int32_t stdio;
  if (kv_get_int32(env, argv[5], &stdio, "stdio") < 0) return NULL;

  char **cargv = split(args_data, args_len), **cenv = split(env_data, env_len);
  gid_t *groups = ids && nids > 2 ? calloc(nids - 2, sizeof *groups) : NULL;
  /* parent ends first, then the child's: in[0] in[1] out[0] out[1] null */
  int fds[5] = {-1, -1, -1, -1, -1};
  int err = 0;
  if (!cargv || !cenv || (ids && nids > 2 && !groups)) err = ENOMEM;
  else if (!cargv[0]) err = EINVAL; /* an empty argv */
  if (!err && (fds[4] = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) err = errno;
  if (!err && (stdio & KV_STDIN_PIPE) && pipe2(&fds[0], O_CLOEXEC) < 0) err = errno;
  if (!err && (stdio & (KV_OUTPUT_ALL | KV_OUTPUT_STDERR)) && pipe2(&fds[2], O_CLOEXEC) < 0) err = errno;
  child_args a = {.file = file, .argv = cargv, .envp = cenv, .search = search, .err = 0};
  if (!err) {
    a.fds[0] = fds[0] >= 0 ? fds[0] : fds[4];
    a.fds[1] = (stdio & KV_OUTPUT_ALL) ? fds[3] : fds[4];
    a.fds[2] = (stdio & (KV_OUTPUT_ALL | KV_OUTPUT_STDERR)) ? fds[3] : fds[4];
    if (ids) {
      a.set_ids = 1;
      a.uid = (uid_t)ids[0];
      a.gid = (gid_t)ids[1];
      a.ngroups = nids - 2;
      for (size_t i = 2; i < nids; i++) groups[i - 2] = (gid_t)ids[i];
      a.groups = groups;
    }
  }
  pid_t pid = -1;
  int pidfd = -1;
  if (!err) {
    void *stack = mmap(NULL, CHILD_STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) err = errno;
    else {
      /* No signal handler of ours may run on the child's stack before it resets them. */
      sigset_t all, old;
      sigfillset(&all);
      pthread_sigmask(SIG_SETMASK, &all, &old);
      pid = clone(child_main, (char *)stack + CHILD_STACK_BYTES, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &a,
                  &pidfd);
      int clone_err = errno;
      pthread_sigmask(SIG_SETMASK, &old, NULL);
      munmap(stack, CHILD_STACK_BYTES);
      if (pid < 0) err = clone_err;
      else if (a.err) {
        err = a.err;
        waitpid(pid, NULL, 0);
        close(pidfd);
        pidfd = -1;
      }
    }
  }
  free(cargv);
  free(cenv);
  free(groups);
  /* The child's ends and /dev/null are the child's now (or nobody's). */
  int child_ends[3] = {fds[0], fds[3], fds[4]};
  close_all(child_ends, 3);
  int in_fd = fds[1], out_fd = fds[2];
  if (err) {
    int parent_ends[2] = {in_fd, out_fd};
    close_all(parent_ends, 2);
    kv_throw_errno(env, "spawn", err);
    return NULL;
  }
  if (in_fd >= 0) fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
  if (out_fd >= 0) fcntl(out_fd, F_SETFL, fcntl(out_fd, F_GETFL) | O_NONBLOCK);
  /* No JS handle: the watch lives until the exit (a collected handle must not lose it). */
  exit_watch *e = kv_watch_open(env, &SPAWN_EXIT, sizeof *e, pidfd, 1, &argv[6], NULL);
  if (!e) {
    int parent_ends[2] = {in_fd, out_fd};
    close_all(parent_ends, 2);
    return NULL; /* the child runs on unwatched; kv_watch_open closed the pidfd */
  }
  e->pid = pid;
  napi_value result, v;
  NAPI_CALL(env, napi_create_array_with_length(env, 3, &result));
  NAPI_CALL(env, napi_create_int32(env, pid, &v));
  NAPI_CALL(env, napi_set_element(env, result, 0, v));
  NAPI_CALL(env, napi_create_int32(env, in_fd, &v));
  NAPI_CALL(env, napi_set_element(env, result, 1, v));
  NAPI_CALL(env, napi_create_int32(env, out_fd, &v));
  NAPI_CALL(env, napi_set_element(env, result, 2, v));
  return result;
}

/* A running child keeps the event loop alive, as Node's ChildProcess does. */
napi_status kv_register_spawn(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"spawnProcess", NULL, spawn_process, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, 1, props);
}
