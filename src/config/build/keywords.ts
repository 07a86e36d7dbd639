/**
 * Keywords keepalived 2.2.7 understands but keepvip does not implement. They are reported as
 * `unsupported-keyword` warnings (keepalived would act on them) rather than `unknown-keyword`
 * (keepalived itself would say "Unknown keyword"). Lists follow keepalived.conf(5).
 */

/** UNSUPPORTED_TOP are top-level blocks keepvip ignores. */
export const UNSUPPORTED_TOP: ReadonlySet<string> = new Set([
  'static_ipaddress',
  'static_routes',
  'static_rules',
  'linkbeat_use_polling',
  'garp_group',
  'bfd_instance',
  'net_namespace',
  'net_namespace_ipvs',
  'instance',
  'use_pid_dir',
  'use_symlink_paths',
]);

/** UNSUPPORTED_GLOBAL are global_defs keywords keepvip ignores. */
export const UNSUPPORTED_GLOBAL: ReadonlySet<string> = new Set([
  'enable_traps',
  'enable_snmp_vrrp',
  'enable_snmp_checker',
  'enable_snmp_rfc',
  'enable_snmp_rfcv2',
  'enable_snmp_rfcv3',
  'snmp_socket',
  'enable_dbus',
  'vrrp_skip_check_adv_addr',
  'vrrp_check_unicast_src',
  'vrrp_iptables',
  'vrrp_ipsets',
  'nftables',
  'nftables_priority',
  'nftables_ifindex',
  'vrrp_higher_prio_send_advert',
  'vrrp_down_timer_adverts',
  'bfd_priority',
  'vrrp_no_swap',
  'checker_no_swap',
  'max_auto_priority',
  'min_auto_priority_delay',
  'dynamic_interfaces',
  'vrrp_netlink_cmd_rcv_bufs',
  'vrrp_netlink_monitor_rcv_bufs',
  'vrrp_rx_bufs_policy',
  'vrrp_rx_bufs_multiplier',
  'vrrp_startup_delay',
  'vrrp_min_garp',
  'vrrp_lower_prio_no_advert',
  'vrrp_garp_extra_if',
  'vrrp_track_process',
  'no_email_faults',
  'linkbeat_interfaces',
  'process_names',
  'process_name',
  'vrrp_process_name',
  'checker_process_name',
  'bfd_process_name',
  'script_security',
  'notify_fifo_script',
  'data_use_instance',
  'umask',
  'random_seed',
  'reload_time_file',
  'reload_repeat',
  'reload_file',
  'config_save_dir',
  'tmp_config_directory',
  'child_wait_time',
  'local_name',
  'use_pid_dir',
]);

/** UNSUPPORTED_INSTANCE are vrrp_instance keywords keepvip ignores. */
export const UNSUPPORTED_INSTANCE: ReadonlySet<string> = new Set([
  'track_bfd',
  'use_vmac_addr',
  'native_ipv6',
  'skip_check_adv_addr',
  'check_unicast_src',
  'strict_mode',
  'kernel_rx_buf_size',
  'debug',
  'down_timer_adverts',
  'higher_prio_send_advert',
  'lower_prio_no_advert',
  'garp_extra_if',
  'unicast_ttl',
  'unicast_fault_no_peer',
  'notify_master_rx_lower_pri',
  'notify_deleted',
  'linkbeat_use_polling',
  'nftables',
  'iptables',
  'ipsets',
]);

/** UNSUPPORTED_VS are virtual_server keywords keepvip ignores. */
export const UNSUPPORTED_VS: ReadonlySet<string> = new Set<string>();

/** UNSUPPORTED_RS are real_server keywords keepvip ignores. */
export const UNSUPPORTED_RS: ReadonlySet<string> = new Set([
  'SMTP_CHECK',
  'DNS_CHECK',
  'BFD_CHECK',
  'FILE_CHECK',
  'PING_CHECK',
  'UDP_CHECK',
]);

/** UNSUPPORTED_CHECKER are checker keywords keepvip ignores. */
export const UNSUPPORTED_CHECKER: ReadonlySet<string> = new Set([
  'log_all_failures',
  'enable_sni',
  'http_protocol',
  'tls_compliant',
  'alpha',
]);
