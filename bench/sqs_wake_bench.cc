// Send (or Publish) acknowledged -> a long-polling consumer's ReceiveMessage returned, over HTTP
// with compiled clients.
//
// The Python latency workload (bench/sqs_bench.py, bench/sns_bench.py) measures the same thing with
// one process per client; on a 2-vCPU machine their own wake-ups and interpreter time are most of
// its tail. This tool runs the same load from threads of one compiled process (Boost.Beast sync
// clients, one keep-alive connection each), so what it measures is mostly the server:
//  - P producer threads send message i at t0 + i / rate (SendMessage of "lat-<8 digits>-xxx…",
//    100 bytes, to a fresh queue; with --publish, SNS Publish to a fresh topic with that queue
//    subscribed, raw delivery off);
//  - C consumer threads block in ReceiveMessage (WaitTimeSeconds 20, up to 10 messages,
//    VisibilityTimeout 600) and stamp every message with the moment the answer was read;
//  - one deleter thread deletes what they received (DeleteMessageBatch).
// Per message: ack -> recv = receive returned - the producer's acknowledgement (negative when the
// consumer had it first). The first 20 messages are a warm-up. Every acknowledged message must be
// received exactly once and the queue must be empty afterwards, or the exit status is 1.
//
//   sqs_wake_bench --port P [--host 127.0.0.1] [--rate 1000] [--seconds 10] [--producers 4]
//                  [--consumers 4] [--publish]
//
// Prints one JSON line (times in microseconds).
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <rapidjson/document.h>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using Clock = std::chrono::steady_clock;

int64_t now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

constexpr int kWarmUp = 20;
constexpr int kStopBase = 99'999'000;  // "stop" messages: one ends one consumer

struct Args {
  std::string host = "127.0.0.1";
  int port = 0;
  int rate = 1000;
  double seconds = 10;
  int producers = 4;
  int consumers = 4;
  bool publish = false;
};

// One keep-alive HTTP/1.1 connection. Requests carry a fixed SigV4-shaped Authorization whose
// credential scope names the service (runnel routes Query requests by it; the signature is not
// verified in this setup, as in the wrk benchmarks).
class Connection {
 public:
  Connection(const std::string& host, int port) : stream_(io_) {
    asio::ip::tcp::resolver resolver(io_);
    stream_.connect(resolver.resolve(host, std::to_string(port)));
    stream_.socket().set_option(asio::ip::tcp::no_delay(true));
    host_ = fmt::format("{}:{}", host, port);
  }

  // SQS JSON protocol: the parsed answer; throws on a non-200 status.
  rapidjson::Document sqs(const std::string& op, const std::string& body) {
    auto text = post("sqs", "application/x-amz-json-1.0", "AmazonSQS." + op, body);
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsObject()) throw std::runtime_error(op + ": answer is no JSON object");
    return doc;
  }

  // SNS Query protocol: the XML answer; throws on a non-200 status.
  std::string sns(const std::string& form) {
    return post("sns", "application/x-www-form-urlencoded; charset=utf-8", "", form + "&Version=2010-03-31");
  }

 private:
  std::string post(const char* service, const char* content_type, const std::string& target, const std::string& body) {
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/", 11};
    req.set(bhttp::field::host, host_);
    req.set(bhttp::field::content_type, content_type);
    if (!target.empty()) req.set("X-Amz-Target", target);
    req.set("X-Amz-Date", "20261202T000000Z");
    req.set(bhttp::field::authorization,
            fmt::format("AWS4-HMAC-SHA256 Credential=test/20261202/us-east-1/{}/aws4_request, "
                        "SignedHeaders=host;x-amz-date, Signature={}", service, std::string(64, '0')));
    req.body() = body;
    req.prepare_payload();
    bhttp::write(stream_, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream_, buffer_, res);
    if (res.result_int() != 200)
      throw std::runtime_error(fmt::format("{} answered {}: {}", target.empty() ? service : target, res.result_int(), res.body()));
    return std::move(res.body());
  }

  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::string host_;
};

std::string lat_text(int i) {
  std::string s = fmt::format("lat-{:08d}-", i);
  s.resize(100, 'x');
  return s;
}

std::string form_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string xml_field(const std::string& xml, const std::string& tag) {
  auto a = xml.find("<" + tag + ">");
  auto b = xml.find("</" + tag + ">");
  if (a == std::string::npos || b == std::string::npos) return "";
  a += tag.size() + 2;
  return xml.substr(a, b - a);
}

// The id a received message carries (the SQS body, or with --publish the envelope's Message), or -1.
int message_id(const rapidjson::Value& m, bool publish) {
  if (!m.HasMember("Body") || !m["Body"].IsString()) return -1;
  std::string text = m["Body"].GetString();
  if (publish) {
    rapidjson::Document env;
    env.Parse(text.data(), text.size());
    if (env.HasParseError() || !env.IsObject() || !env.HasMember("Message") || !env["Message"].IsString()) return -1;
    text = env["Message"].GetString();
  }
  if (text.size() != 100 || text.compare(0, 4, "lat-") != 0) return -1;
  return std::stoi(text.substr(4, 8));
}

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(p / 100 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

struct Received {
  int id;
  int64_t at_ns;
};

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (k == "--host") a.host = next();
    else if (k == "--port") a.port = std::stoi(next());
    else if (k == "--rate") a.rate = std::stoi(next());
    else if (k == "--seconds") a.seconds = std::stod(next());
    else if (k == "--producers") a.producers = std::stoi(next());
    else if (k == "--consumers") a.consumers = std::stoi(next());
    else if (k == "--publish") a.publish = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", k.c_str());
      return 2;
    }
  }
  if (a.port <= 0 || a.rate <= 0 || a.producers <= 0 || a.consumers <= 0) {
    std::fprintf(stderr, "usage: sqs_wake_bench --port P [--rate R] [--seconds S] [--producers N] [--consumers N] [--publish]\n");
    return 2;
  }

  std::vector<std::string> problems;
  std::mutex problems_mu;
  auto problem = [&](std::string what) {
    std::lock_guard lock(problems_mu);
    problems.push_back(std::move(what));
  };

  // Set-up: a fresh queue (and with --publish a topic with the queue subscribed).
  Connection setup(a.host, a.port);
  std::string name = fmt::format("wake-{}-{}", a.rate, now_ns() % 1'000'000'000);
  auto created = setup.sqs("CreateQueue", fmt::format(R"({{"QueueName":"{}"}})", name));
  std::string queue_url = created["QueueUrl"].GetString();
  std::string topic_arn;
  if (a.publish) {
    topic_arn = xml_field(setup.sns("Action=CreateTopic&Name=" + name), "TopicArn");
    auto attrs = setup.sqs("GetQueueAttributes", fmt::format(R"({{"QueueUrl":"{}","AttributeNames":["QueueArn"]}})", queue_url));
    std::string queue_arn = attrs["Attributes"]["QueueArn"].GetString();
    setup.sns("Action=Subscribe&TopicArn=" + form_escape(topic_arn) + "&Protocol=sqs&Endpoint=" + form_escape(queue_arn));
  }
  auto send = [&](Connection& c, int i) {
    if (a.publish) {
      auto xml = c.sns("Action=Publish&TopicArn=" + form_escape(topic_arn) + "&Message=" + lat_text(i));
      if (xml_field(xml, "MessageId").empty()) throw std::runtime_error("Publish answered no MessageId");
    } else {
      auto doc = c.sqs("SendMessage", fmt::format(R"({{"QueueUrl":"{}","MessageBody":"{}"}})", queue_url, lat_text(i)));
      if (!doc.HasMember("MessageId")) throw std::runtime_error("SendMessage answered no MessageId");
    }
  };

  // Deleter: receipt handles from the consumers, deleted ten at a time.
  std::mutex handles_mu;
  std::condition_variable handles_cv;
  std::deque<std::string> handles;
  bool consumers_done = false;
  std::thread deleter([&] {
    try {
      Connection c(a.host, a.port);
      for (;;) {
        std::vector<std::string> batch;
        {
          std::unique_lock lock(handles_mu);
          handles_cv.wait(lock, [&] { return !handles.empty() || consumers_done; });
          if (handles.empty()) return;
          while (!handles.empty() && batch.size() < 10) {
            batch.push_back(std::move(handles.front()));
            handles.pop_front();
          }
        }
        std::string entries;
        for (size_t k = 0; k < batch.size(); ++k)
          entries += fmt::format(R"({}{{"Id":"d{}","ReceiptHandle":"{}"}})", k ? "," : "", k, batch[k]);
        auto doc = c.sqs("DeleteMessageBatch", fmt::format(R"({{"QueueUrl":"{}","Entries":[{}]}})", queue_url, entries));
        if (doc.HasMember("Failed") && doc["Failed"].Size() > 0) throw std::runtime_error("DeleteMessageBatch failed entries");
      }
    } catch (const std::exception& e) {
      problem(std::string("deleter: ") + e.what());
    }
  });

  // Consumers.
  std::atomic<int64_t> received{0};
  std::atomic<int> consumers_left{a.consumers};
  std::atomic<int64_t> receives{0};
  std::vector<std::vector<Received>> seen(a.consumers);
  std::vector<std::thread> consumers;
  for (int k = 0; k < a.consumers; ++k) {
    consumers.emplace_back([&, k] {
      try {
        Connection c(a.host, a.port);
        std::string body = fmt::format(
            R"({{"QueueUrl":"{}","MaxNumberOfMessages":10,"WaitTimeSeconds":20,"VisibilityTimeout":600}})", queue_url);
        bool stop = false;
        while (!stop) {
          auto doc = c.sqs("ReceiveMessage", body);
          int64_t t = now_ns();
          if (!doc.HasMember("Messages")) continue;
          receives.fetch_add(1);
          int64_t fresh = 0;
          std::lock_guard lock(handles_mu);
          for (const auto& m : doc["Messages"].GetArray()) {
            handles.push_back(m["ReceiptHandle"].GetString());
            int id = message_id(m, a.publish);
            if (id < 0) throw std::runtime_error("a received message has a wrong body");
            if (id >= kStopBase) {
              stop = true;
              continue;
            }
            seen[k].push_back({id, t});
            ++fresh;
          }
          handles_cv.notify_one();
          received.fetch_add(fresh);
        }
      } catch (const std::exception& e) {
        problem(std::string("consumer: ") + e.what());
      }
      consumers_left.fetch_sub(1);
    });
  }

  // Producers, on one schedule.
  int total = kWarmUp + std::max(1, static_cast<int>(a.rate * a.seconds));
  std::vector<int64_t> started(total, 0), acked(total, 0);
  int64_t t0 = now_ns() + 300'000'000;  // the consumers' first polls reach the server meanwhile
  double limit_s = 2 * a.seconds + 5;
  std::vector<std::thread> producers;
  for (int k = 0; k < a.producers; ++k) {
    producers.emplace_back([&, k] {
      try {
        Connection c(a.host, a.port);
        for (int i = k; i < total; i += a.producers) {
          int64_t due = t0 + static_cast<int64_t>(1e9 * i / a.rate);
          int64_t now = now_ns();
          if (now - t0 > limit_s * 1e9) break;
          if (due > now) std::this_thread::sleep_for(std::chrono::nanoseconds(due - now));
          started[i] = now_ns();
          send(c, i);
          acked[i] = now_ns();
        }
      } catch (const std::exception& e) {
        problem(std::string("producer: ") + e.what());
      }
    });
  }
  for (auto& p : producers) p.join();
  int64_t sent = std::count_if(acked.begin(), acked.end(), [](int64_t v) { return v != 0; });

  // Everything acknowledged received (or given up on after 60 s), then one stop message per consumer.
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (received.load() < sent && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (int k = 0; k < a.consumers && consumers_left.load() > 0; ++k) {
    int before = consumers_left.load();
    send(setup, kStopBase + k);
    auto wait = Clock::now() + std::chrono::seconds(25);
    while (consumers_left.load() >= before && Clock::now() < wait) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (auto& c : consumers) c.join();
  {
    std::lock_guard lock(handles_mu);
    consumers_done = true;
  }
  handles_cv.notify_all();
  deleter.join();

  // Exactly once, then an empty queue.
  std::vector<int64_t> got(total, 0);
  int64_t dups = 0;
  for (auto& v : seen)
    for (auto& r : v) {
      if (r.id >= total) {
        problem(fmt::format("received message {} that was never sent", r.id));
      } else if (got[r.id]) {
        ++dups;
      } else {
        got[r.id] = r.at_ns;
      }
    }
  int64_t missing = 0;
  for (int i = 0; i < total; ++i)
    if (acked[i] && !got[i]) ++missing;
  if (missing) problem(fmt::format("{} acknowledged messages never received", missing));
  if (dups) problem(fmt::format("{} messages received twice", dups));
  auto counts = setup.sqs("GetQueueAttributes", fmt::format(
      R"({{"QueueUrl":"{}","AttributeNames":["ApproximateNumberOfMessages","ApproximateNumberOfMessagesNotVisible"]}})", queue_url));
  int left = std::stoi(counts["Attributes"]["ApproximateNumberOfMessages"].GetString()) +
             std::stoi(counts["Attributes"]["ApproximateNumberOfMessagesNotVisible"].GetString());
  if (left) problem(fmt::format("{} messages left in the queue after every one was received and deleted", left));

  std::vector<double> ack_to_recv, send_us;
  int64_t first = 0, last = 0;
  for (int i = kWarmUp; i < total; ++i) {
    if (!acked[i] || !got[i]) continue;
    ack_to_recv.push_back((got[i] - acked[i]) / 1e3);
    send_us.push_back((acked[i] - started[i]) / 1e3);
    first = first ? std::min(first, started[i]) : started[i];
    last = std::max(last, started[i]);
  }
  size_t n = ack_to_recv.size();
  double achieved = last > first ? (n - 1) / ((last - first) / 1e9) : 0;
  int64_t consumer_first = std::count_if(ack_to_recv.begin(), ack_to_recv.end(), [](double v) { return v < 0; });
  std::string problems_json;
  for (auto& p : problems) {
    std::string quoted;
    for (char c : p) {
      if (c == '"' || c == '\\') quoted.push_back('\\');
      quoted.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
    }
    problems_json += fmt::format(R"({}"{}")", problems_json.empty() ? "" : ",", quoted);
  }
  double per_receive = receives.load() ? static_cast<double>(received.load()) / receives.load() : 0;
  std::printf(
      R"({"op":"%s","rate":%d,"achieved_rate":%.1f,"producers":%d,"consumers":%d,"messages":%zu,"consumer_first":%lld,)"
      R"("msgs_per_receive":%.2f,"ack_to_recv_us":{"p50":%.1f,"p90":%.1f,"p99":%.1f,"max":%.1f},)"
      R"("send_us":{"p50":%.1f,"p99":%.1f},"problems":[%s]})"
      "\n",
      a.publish ? "Publish" : "SendMessage", a.rate, achieved, a.producers, a.consumers, n,
      static_cast<long long>(consumer_first), per_receive, pct(ack_to_recv, 50), pct(ack_to_recv, 90),
      pct(ack_to_recv, 99), pct(ack_to_recv, 100), pct(send_us, 50), pct(send_us, 99), problems_json.c_str());
  return problems.empty() ? 0 : 1;
}
