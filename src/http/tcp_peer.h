// Who is at the other end of a loopback TCP connection. SO_PEERCRED answers for Unix sockets only
// (on TCP it reports no pid), so the uid comes from the kernel's socket table: /proc/net/tcp lists
// the peer's own socket (its local address is our remote one) with the uid that owns it.
#pragma once

namespace runnel::http {

// The uid owning the peer socket of the connected IPv4 TCP socket `fd`, -1 when not found (not
// loopback, IPv6, or the peer is gone). Reads /proc/net/tcp: call it for the few connections that
// need it (the Lambda Runtime API listeners), not for every client.
int tcp_peer_uid(int fd);

}  // namespace runnel::http
