/*
 * drprobe.c: the packet socket of keepvip's `dr_path_check` (src/kernel/dr-probe.ts builds and
 * reads the frames; this file holds only the syscalls). An LVS-DR director forwards a client's
 * packet unchanged to the real server's MAC, so the data path is checked the same way: a TCP SYN
 * for VIP:PORT in an Ethernet frame addressed to the real server, and an ARP request for the VIP,
 * both sent on an AF_PACKET socket bound to the director's interface; the SYN-ACK / RST and the
 * ARP replies are captured on the same socket.
 *
 *   drProbeOpen(ifname, onFrame(frame: Buffer), onError(err)) -> handle
 *       SOCK_RAW packet socket bound to ifname (ETH_P_ALL) with a classic BPF filter that passes
 *       only incoming ARP replies and incoming IPv4 TCP segments with SYN+ACK or RST set (first
 *       128 bytes), so a busy director copies nothing else; every frame goes to onFrame, a socket
 *       error (ENETDOWN when the interface goes away) to onError. Does not keep the loop alive.
 *   drProbeSend(handle, frame)   sends a complete Ethernet frame (destination MAC and ethertype
 *                                are read from the frame) out of the bound interface
 *   drProbeClose(handle)         idempotent
 *   drProbeRef(handle, bool)     whether the socket keeps the event loop alive
 *
 * No static state: each Node environment (the daemon's checker worker thread) has its own
 * sockets, so the addon stays usable from worker threads.
 */
#include "util.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bytes of a captured frame handed to JS: Ethernet + IPv4 (up to 60) + TCP header (20) fit. */
#define DR_SNAP_BYTES 128

enum { ON_FRAME, ON_ERROR };

typedef struct {
  kv_watch w;
  int ifindex;
} dr_socket;

/*
 * The filter, in tcpdump terms: inbound and (arp[6:2] = 2 or (ip proto tcp and not ip[6:2] &
 * 0x1fff != 0 and (tcp[13] & 4 != 0 or tcp[13] & 0x12 = 0x12))).
 */
static struct sock_filter DR_FILTER[] = {
    /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
    /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 14, 0),
    /* 2 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
    /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 0, 2),
    /* 4 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 14 + 6), /* ar_op */
    /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 11, 10),
    /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 9),
    /* 7 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14 + 9), /* protocol */
    /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 7),
    /* 9 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 14 + 6), /* fragment offset */
    /* 10 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 5, 0),
    /* 11 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14), /* X = IPv4 header length */
    /* 12 */ BPF_STMT(BPF_LD | BPF_B | BPF_IND, 14 + 13), /* TCP flags */
    /* 13 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x04, 3, 0), /* RST */
    /* 14 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x12),
    /* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x12, 1, 0), /* SYN+ACK */
    /* 16 */ BPF_STMT(BPF_RET | BPF_K, 0),
    /* 17 */ BPF_STMT(BPF_RET | BPF_K, DR_SNAP_BYTES),
};

static void on_readable(kv_watch *w, int status) {
  if (status < 0) {
    /* POLLERR: the bound interface went down or away (ENETDOWN). The wrapper closes the socket. */
    kv_watch_report_poll_error(w, ON_ERROR, "recv(AF_PACKET)", status);
    return;
  }
  for (int i = 0; i < KV_READS_PER_WAKEUP && !w->closed; i++) {
    unsigned char buf[DR_SNAP_BYTES];
    struct sockaddr_ll from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(w->fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) kv_watch_report_errno(w, ON_ERROR, "recv(AF_PACKET)", errno);
      return;
    }
    if (from.sll_pkttype == PACKET_OUTGOING) continue; /* the filter drops these; a filterless moment does not */
    size_t size = (size_t)n < sizeof buf ? (size_t)n : sizeof buf;
    napi_handle_scope scope;
    if (napi_open_handle_scope(w->env, &scope) != napi_ok) return;
    napi_value argv[1];
    void *copy;
    if (napi_create_buffer_copy(w->env, size, buf, &copy, &argv[0]) == napi_ok) kv_watch_call(w, ON_FRAME, 1, argv);
    napi_close_handle_scope(w->env, scope);
  }
}

static const kv_watch_kind DR_SOCKET = {.resource = "keepvip:dr-probe", .api = "drProbeOpen",
                                        .handle = "DR probe socket", .on_event = on_readable};

/* drProbeOpen(ifname, onFrame, onError) -> handle. Throws with the errno code: EPERM without
 * CAP_NET_RAW, ENODEV for an unknown interface. */
static napi_value dr_probe_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    kv_throw_type(env, "drProbeOpen(ifname, onFrame, onError) needs three arguments");
    return NULL;
  }
  char ifname[IF_NAMESIZE + 1];
  if (kv_get_string(env, argv[0], ifname, sizeof ifname, "ifname") < 0) return NULL;
  unsigned int ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    kv_throw_errno(env, "if_nametoindex", errno);
    return NULL;
  }
  /* Protocol 0 queues nothing until bind(): the filter is in place before the first frame. */
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    kv_throw_errno(env, "socket(AF_PACKET)", errno);
    return NULL;
  }
  struct sock_fprog prog = {.len = sizeof DR_FILTER / sizeof DR_FILTER[0], .filter = DR_FILTER};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
    int err = errno;
    close(fd);
    kv_throw_errno(env, "setsockopt(SO_ATTACH_FILTER)", err);
    return NULL;
  }
  struct sockaddr_ll addr;
  memset(&addr, 0, sizeof addr);
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = (int)ifindex;
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    kv_throw_errno(env, "bind(AF_PACKET)", err);
    return NULL;
  }
  napi_value external;
  dr_socket *s = kv_watch_open(env, &DR_SOCKET, sizeof *s, fd, 2, &argv[1], &external);
  if (!s) return NULL;
  s->ifindex = (int)ifindex;
  kv_watch_set_ref(&s->w, false);
  return external;
}

/* drProbeSend(handle, frame): the frame's first 6 bytes are the destination MAC, bytes 12..13 the ethertype. */
static napi_value dr_probe_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    kv_throw_type(env, "drProbeSend(handle, frame) needs two arguments");
    return NULL;
  }
  dr_socket *s = (dr_socket *)kv_watch_unwrap(env, argv[0], &DR_SOCKET);
  if (!s) return NULL;
  if (s->w.closed) {
    kv_throw_errno(env, "sendto(AF_PACKET)", EBADF);
    return NULL;
  }
  unsigned char *frame;
  size_t length;
  if (kv_get_buffer(env, argv[1], (void **)&frame, &length, "frame") < 0) return NULL;
  if (length < 14) {
    kv_throw_type(env, "frame shorter than an Ethernet header");
    return NULL;
  }
  struct sockaddr_ll to;
  memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_ifindex = s->ifindex;
  memcpy(&to.sll_protocol, frame + 12, 2); /* network order, as in the frame */
  to.sll_halen = 6;
  memcpy(to.sll_addr, frame, 6);
  ssize_t n;
  do {
    n = sendto(s->w.fd, frame, length, 0, (struct sockaddr *)&to, sizeof to);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    kv_throw_errno(env, "sendto(AF_PACKET)", errno);
    return NULL;
  }
  return NULL;
}

napi_status kv_register_drprobe(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"drProbeOpen", NULL, dr_probe_open, NULL, NULL, NULL, napi_default, NULL},
      {"drProbeSend", NULL, dr_probe_send, NULL, NULL, NULL, napi_default, NULL},
      {"drProbeClose", NULL, kv_watch_js_close, NULL, NULL, NULL, napi_default, (void *)&DR_SOCKET},
      {"drProbeRef", NULL, kv_watch_js_ref, NULL, NULL, NULL, napi_default, (void *)&DR_SOCKET},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
