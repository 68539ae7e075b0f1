// The shared record codec: field order is byte order, missing or mistyped members read as their
// default, optionals are omitted while empty, and a versioned record of another version is refused.
#include "storage/record_codec.h"

#include <gtest/gtest.h>

namespace runnel::storage {
namespace {

struct Part {
  std::string name;
  int64_t size = 0;
};

struct Thing {
  std::string name;
  bool on = false;
  int count = 0;
  uint64_t big = 0;
  double ratio = 0;
  std::optional<uint64_t> until;
  std::optional<std::string> note;
  std::map<std::string, std::string> tags;
  std::vector<std::string> words;
  std::vector<Part> parts;
};

const RecordCodec<Part>& part_codec() {
  static const auto codec = RecordCodec<Part>().field("name", &Part::name).field("size", &Part::size);
  return codec;
}

const RecordCodec<Thing>& thing_codec() {
  static const auto codec = RecordCodec<Thing>(2)
                                .field("name", &Thing::name)
                                .field("on", &Thing::on)
                                .field("count", &Thing::count, 7)
                                .field("big", &Thing::big)
                                .field("ratio", &Thing::ratio)
                                .field("until", &Thing::until)
                                .field("note", &Thing::note)
                                .field("tags", &Thing::tags)
                                .field("words", &Thing::words)
                                .list("parts", &Thing::parts, part_codec());
  return codec;
}

TEST(RecordCodec, WritesFieldsInOrderAndOmitsEmptyOptionals) {
  Thing t;
  t.name = "a\"b";
  t.on = true;
  t.count = -3;
  t.big = 18446744073709551615ull;
  t.ratio = 0.5;
  t.note = "n";
  t.tags = {{"k", "v"}};
  t.words = {"x", "y"};
  t.parts = {{"p", 12}};
  EXPECT_EQ(thing_codec().encode(t),
            R"({"v":2,"name":"a\"b","on":true,"count":-3,"big":18446744073709551615,"ratio":0.5,"note":"n",)"
            R"("tags":{"k":"v"},"words":["x","y"],"parts":[{"name":"p","size":12}]})");
  auto back = thing_codec().decode(thing_codec().encode(t));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->name, t.name);
  EXPECT_EQ(back->big, t.big);
  EXPECT_FALSE(back->until);
  EXPECT_EQ(back->note, "n");
  EXPECT_EQ(back->tags, t.tags);
  EXPECT_EQ(back->words, t.words);
  ASSERT_EQ(back->parts.size(), 1u);
  EXPECT_EQ(back->parts[0].size, 12);
}

TEST(RecordCodec, MissingOrMistypedMembersReadAsTheirDefaults) {
  auto t = thing_codec().decode(R"({"v":2,"name":5,"count":"x","until":9,"parts":[1,{"name":"q"}],"extra":true})");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->name, "");
  EXPECT_EQ(t->count, 7);  // the default given to field()
  EXPECT_EQ(t->until, 9u);
  ASSERT_EQ(t->parts.size(), 1u);  // a non-object element is skipped
  EXPECT_EQ(t->parts[0].name, "q");
}

TEST(RecordCodec, RefusesAnotherVersionAndWhatIsNotAnObject) {
  EXPECT_FALSE(thing_codec().decode(R"({"v":1,"name":"a"})"));
  EXPECT_FALSE(thing_codec().decode(R"({"name":"a"})"));
  EXPECT_FALSE(thing_codec().decode("[]"));
  EXPECT_FALSE(thing_codec().decode("{"));
  EXPECT_TRUE(part_codec().decode(R"({"name":"a"})"));  // no version asked for
}

}  // namespace
}  // namespace runnel::storage
