// The one way a service stores a record (a table's definition, a queue, a function, a stream, a
// mapping, a push task) as JSON: a RecordCodec<T> lists the record's fields once, in the order
// they are written, and both encode and decode follow that list.
//
//   const storage::RecordCodec<ShardInfo>& shard_codec() {
//     static const auto codec = storage::RecordCodec<ShardInfo>()
//                                   .field("id", &ShardInfo::id)
//                                   .field("end", &ShardInfo::end_seq);  // omitted while empty
//     return codec;
//   }
//
// Why JSON and not a binary layout: these records are small, written when a definition changes,
// read at start-up, and worth reading with `ldb` when something is wrong. Why one codec: the
// hand-written pairs it replaces kept a reader and a writer per struct in step by hand, each with
// its own little get_string/get_u64 helpers. Each codec has a golden-bytes test beside its record:
// what an older runnel stored must still read back.
//
// Field rules (what the hand-written codecs did, kept byte for byte):
//   - a member missing from the stored JSON, or of another JSON type, reads as the `missing`
//     value given to field() (default: the type's empty value);
//   - std::optional members are omitted while empty;
//   - with a version, "v":<version> is written first and a record of another version is refused.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json_parse.h"

namespace runnel::storage {

namespace codec_detail {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

template <class>
inline constexpr bool kIsOptional = false;
template <class V>
inline constexpr bool kIsOptional<std::optional<V>> = true;

template <class>
inline constexpr bool kIsVector = false;
template <class V>
inline constexpr bool kIsVector<std::vector<V>> = true;

template <class>
inline constexpr bool kIsStringPair = false;
template <>
inline constexpr bool kIsStringPair<std::pair<std::string, std::string>> = true;

template <class M>
void write_value(Writer& w, const M& v) {
  if constexpr (std::is_same_v<M, std::string>) {
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  } else if constexpr (std::is_same_v<M, bool>) {
    w.Bool(v);
  } else if constexpr (std::is_same_v<M, int>) {
    w.Int(v);
  } else if constexpr (std::is_same_v<M, uint32_t>) {
    w.Uint(v);
  } else if constexpr (std::is_same_v<M, int64_t>) {
    w.Int64(v);
  } else if constexpr (std::is_same_v<M, uint64_t>) {
    w.Uint64(v);
  } else if constexpr (std::is_same_v<M, double>) {
    w.Double(v);
  } else if constexpr (std::is_enum_v<M>) {
    w.Int(static_cast<int>(v));  // by number: renumbering an enum is a change of the stored form
  } else if constexpr (kIsStringPair<M>) {
    w.StartArray();
    write_value(w, v.first);
    write_value(w, v.second);
    w.EndArray();
  } else if constexpr (std::is_same_v<M, std::map<std::string, std::string>>) {
    w.StartObject();
    for (const auto& [k, s] : v) {
      w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    }
    w.EndObject();
  } else if constexpr (kIsVector<M>) {
    w.StartArray();
    for (const auto& e : v) write_value(w, e);
    w.EndArray();
  } else {
    static_assert(!sizeof(M), "RecordCodec: no JSON form for this member type (use object(), flatten() or custom())");
  }
}

// False (and `out` untouched) when `v` is not of the member's JSON type.
template <class M>
bool read_value(const rapidjson::Value& v, M& out) {
  if constexpr (std::is_same_v<M, std::string>) {
    if (!v.IsString()) return false;
    out.assign(v.GetString(), v.GetStringLength());
  } else if constexpr (std::is_same_v<M, bool>) {
    if (!v.IsBool()) return false;
    out = v.GetBool();
  } else if constexpr (std::is_same_v<M, int>) {
    if (!v.IsInt()) return false;
    out = v.GetInt();
  } else if constexpr (std::is_same_v<M, uint32_t>) {
    if (!v.IsUint()) return false;
    out = v.GetUint();
  } else if constexpr (std::is_same_v<M, int64_t>) {
    if (!v.IsInt64()) return false;
    out = v.GetInt64();
  } else if constexpr (std::is_same_v<M, uint64_t>) {
    if (!v.IsUint64()) return false;
    out = v.GetUint64();
  } else if constexpr (std::is_same_v<M, double>) {
    if (!v.IsNumber()) return false;
    out = v.GetDouble();
  } else if constexpr (std::is_enum_v<M>) {
    if (!v.IsInt()) return false;
    out = static_cast<M>(v.GetInt());
  } else if constexpr (kIsStringPair<M>) {
    if (!v.IsArray() || v.Size() != 2 || !v[0].IsString() || !v[1].IsString()) return false;
    read_value(v[0], out.first);
    read_value(v[1], out.second);
  } else if constexpr (std::is_same_v<M, std::map<std::string, std::string>>) {
    if (!v.IsObject()) return false;
    out.clear();
    for (const auto& m : v.GetObject())
      if (m.value.IsString()) out[m.name.GetString()] = std::string(m.value.GetString(), m.value.GetStringLength());
  } else if constexpr (kIsVector<M>) {
    if (!v.IsArray()) return false;
    out.clear();
    for (const auto& e : v.GetArray()) {
      typename M::value_type element{};
      if (read_value(e, element)) out.push_back(std::move(element));
    }
  } else {
    static_assert(!sizeof(M), "RecordCodec: no JSON form for this member type (use object(), flatten() or custom())");
  }
  return true;
}

template <class E>
struct UnwrappedOf {
  using type = E;
};
template <class E>
struct UnwrappedOf<std::optional<E>> {
  using type = E;
};
template <class E>
using Unwrapped = typename UnwrappedOf<E>::type;

}  // namespace codec_detail

template <class T>
class RecordCodec {
 public:
  using Writer = codec_detail::Writer;
  using Value = rapidjson::Value;
  using WriteFn = std::function<void(Writer&, const T&)>;
  using ReadFn = std::function<void(const Value& object, T&)>;

  RecordCodec() = default;
  // "v":<version> first; decode() refuses a record without it or of another version.
  explicit RecordCodec(int version) : version_(version) {}

  // A member of a plain JSON type (string, bool, int, int64, uint64, double, a string map, a
  // vector of those), or an optional one (omitted while empty).
  // (A member of a base of T names its base: `&TableInfo::account` is a `std::string TableRef::*`.)
  template <class M, class C>
    requires std::is_base_of_v<C, T>
  RecordCodec&& field(const char* key, M C::*member, std::type_identity_t<M> missing = M{}) && {
    steps_.push_back({[key, member](Writer& w, const T& t) {
                        const M& v = t.*member;
                        if constexpr (codec_detail::kIsOptional<M>) {
                          if (!v) return;
                          w.Key(key);
                          codec_detail::write_value(w, *v);
                        } else {
                          w.Key(key);
                          codec_detail::write_value(w, v);
                        }
                      },
                      [key, member, missing](const Value& o, T& t) {
                        M& v = t.*member;
                        v = missing;
                        auto it = o.FindMember(key);
                        if (it == o.MemberEnd()) return;
                        if constexpr (codec_detail::kIsOptional<M>) {
                          typename M::value_type inner{};
                          if (codec_detail::read_value(it->value, inner)) v = std::move(inner);
                        } else {
                          codec_detail::read_value(it->value, v);
                        }
                      }});
    return std::move(*this);
  }

  // A vector of records with a codec of their own (a stream's shards, a table's indexes).
  template <class E, class C>
    requires std::is_base_of_v<C, T>
  RecordCodec&& list(const char* key, std::vector<E> C::*member, const RecordCodec<E>& element) && {
    steps_.push_back({[key, member, &element](Writer& w, const T& t) {
                        w.Key(key);
                        w.StartArray();
                        for (const auto& e : t.*member) element.write(w, e);
                        w.EndArray();
                      },
                      [key, member, &element](const Value& o, T& t) {
                        auto& out = t.*member;
                        out.clear();
                        auto it = o.FindMember(key);
                        if (it == o.MemberEnd() || !it->value.IsArray()) return;
                        for (const auto& e : it->value.GetArray()) {
                          if (!e.IsObject()) continue;
                          E item{};
                          element.read(e, item);
                          out.push_back(std::move(item));
                        }
                      }});
    return std::move(*this);
  }

  // A member that is a record of its own, as a JSON object (omitted while an optional one is empty).
  template <class E, class C>
    requires std::is_base_of_v<C, T>
  RecordCodec&& object(const char* key, E C::*member, const RecordCodec<codec_detail::Unwrapped<E>>& codec) && {
    steps_.push_back({[key, member, &codec](Writer& w, const T& t) {
                        const E& v = t.*member;
                        if constexpr (codec_detail::kIsOptional<E>) {
                          if (!v) return;
                          w.Key(key);
                          codec.write(w, *v);
                        } else {
                          w.Key(key);
                          codec.write(w, v);
                        }
                      },
                      [key, member, &codec](const Value& o, T& t) {
                        E& v = t.*member;
                        v = E{};
                        auto it = o.FindMember(key);
                        if (it == o.MemberEnd() || !it->value.IsObject()) return;
                        codec_detail::Unwrapped<E> inner{};
                        codec.read(it->value, inner);
                        v = std::move(inner);
                      }});
    return std::move(*this);
  }

  // A member that is a record of its own whose fields sit in this record's object, beside its
  // other fields (a table's key schema: "hash" and "range" next to "name").
  template <class E, class C>
    requires std::is_base_of_v<C, T>
  RecordCodec&& flatten(E C::*member, const RecordCodec<E>& codec) && {
    steps_.push_back({[member, &codec](Writer& w, const T& t) { codec.write_fields(w, t.*member); },
                      [member, &codec](const Value& o, T& t) { codec.read(o, t.*member); }});
    return std::move(*this);
  }

  // Anything else (a member stored under several keys, an enum by name): both directions by hand.
  RecordCodec&& custom(WriteFn write, ReadFn read) && {
    steps_.push_back({std::move(write), std::move(read)});
    return std::move(*this);
  }

  void write(Writer& w, const T& t) const {
    w.StartObject();
    if (version_) {
      w.Key("v");
      w.Int(*version_);
    }
    write_fields(w, t);
    w.EndObject();
  }

  // The fields alone, into an object the caller opened.
  void write_fields(Writer& w, const T& t) const {
    for (const auto& s : steps_) s.write(w, t);
  }

  // Reads every listed member of `o` into `t` (an object; members of other names are ignored).
  void read(const Value& o, T& t) const {
    for (const auto& s : steps_) s.read(o, t);
  }

  std::string encode(const T& t) const {
    rapidjson::StringBuffer sb;
    Writer w(sb);
    write(w, t);
    return std::string(sb.GetString(), sb.GetSize());
  }

  // nullopt: not JSON, not an object, or not this codec's version.
  std::optional<T> decode(std::string_view json) const {
    rapidjson::Document d;
    if (!json::parse(d, json) || !d.IsObject()) return std::nullopt;
    if (version_) {
      auto v = d.FindMember("v");
      if (v == d.MemberEnd() || !v->value.IsInt() || v->value.GetInt() != *version_) return std::nullopt;
    }
    T t{};
    read(d, t);
    return t;
  }

 private:
  struct Step {
    WriteFn write;
    ReadFn read;
  };
  std::optional<int> version_;
  std::vector<Step> steps_;
};

}  // namespace runnel::storage
