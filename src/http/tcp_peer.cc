#include "http/tcp_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace runnel::http {

namespace {

// /proc/net/tcp's form of an endpoint: the address as the 32-bit word in memory, then the port.
std::string proc_form(const sockaddr_in& a) {
  char text[16];
  std::snprintf(text, sizeof text, "%08X:%04X", static_cast<unsigned>(a.sin_addr.s_addr), ntohs(a.sin_port));
  return text;
}

}  // namespace

int tcp_peer_uid(int fd) {
  sockaddr_in local{}, remote{};
  socklen_t local_len = sizeof local, remote_len = sizeof remote;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0 || local.sin_family != AF_INET ||
      ::getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &remote_len) != 0 || remote.sin_family != AF_INET)
    return -1;
  // The peer's socket: its local address is our remote one, its remote our local one.
  const std::string peer_local = proc_form(remote), peer_remote = proc_form(local);
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // header
  while (std::getline(table, line)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
    std::istringstream fields(line);
    std::string slot, local_address, remote_address, state, queues, timer, retransmits;
    int uid = -1;
    fields >> slot >> local_address >> remote_address >> state >> queues >> timer >> retransmits >> uid;
    if (local_address == peer_local && remote_address == peer_remote) return uid;
  }
  return -1;
}

}  // namespace runnel::http
