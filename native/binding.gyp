{
  "targets": [
    {
      "target_name": "keepvip_native",
      "sources": ["src/addon.c", "src/util.c", "src/watch.c", "src/vrrp4.c", "src/vrrp6.c", "src/packet.c", "src/pidfd.c", "src/netlink.c", "src/rtsignal.c", "src/sockopt.c", "src/drprobe.c", "src/sched.c", "src/spawn.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    }
  ]
}
