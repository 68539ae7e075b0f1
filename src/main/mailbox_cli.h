// `runnel mailbox`: reads the built-in SNS mailbox of a running server (GET /_runnel/mailbox), for
// set-ups without --smtp-url. Lists mails (optionally only those to one address), prints one as its
// raw RFC 5322 text, or the JSON the endpoint returns.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

struct MailboxFlags {
  std::string endpoint = "http://127.0.0.1:4566";
  std::string to;
  uint64_t raw_id = 0;
  uint64_t after = 0;
  bool json = false;
};

CLI::App* add_mailbox_command(CLI::App& app, MailboxFlags& flags);
int run_mailbox_command(const MailboxFlags& flags);
