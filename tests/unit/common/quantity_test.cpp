#include "actors/common/quantity.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kfix {
namespace {

using units::gib;
using units::kib;
using units::mib;

struct parse_case {
  const char* text;
  int64_t millis;
  quantity_format format;
};

class QuantityParse : public ::testing::TestWithParam<parse_case> {};

TEST_P(QuantityParse, ExactMillis) {
  const auto& c = GetParam();
  auto q = parse_quantity(c.text);
  ASSERT_TRUE(q) << c.text << ": " << render(q.error());
  EXPECT_EQ(q->millis(), c.millis) << c.text;
  EXPECT_EQ(q->format(), c.format) << c.text;
}

INSTANTIATE_TEST_SUITE_P(
  Quantity, QuantityParse,
  ::testing::Values(
    parse_case{"0", 0, quantity_format::decimal_si},
    parse_case{"1", 1000, quantity_format::decimal_si},
    parse_case{"500m", 500, quantity_format::decimal_si},
    parse_case{"0.5", 500, quantity_format::decimal_si},
    parse_case{".5", 500, quantity_format::decimal_si},
    parse_case{"1.", 1000, quantity_format::decimal_si},
    parse_case{"+2", 2000, quantity_format::decimal_si},
    parse_case{"-250m", -250, quantity_format::decimal_si},
    parse_case{"0.1m", 1, quantity_format::decimal_si},    // rounded up
    parse_case{"123456n", 1, quantity_format::decimal_si}, // 0.123456m up
    parse_case{"1500000000n", 1500, quantity_format::decimal_si},
    parse_case{"250000u", 250, quantity_format::decimal_si},
    parse_case{"1k", 1'000'000, quantity_format::decimal_si},
    parse_case{"129M", 129'000'000'000, quantity_format::decimal_si},
    parse_case{"1G", 1'000'000'000'000, quantity_format::decimal_si},
    parse_case{"1Ki", 1'024'000, quantity_format::binary_si},
    parse_case{"768Mi", 768 * mib * 1000, quantity_format::binary_si},
    parse_case{"1.5Gi", 3 * gib / 2 * 1000, quantity_format::binary_si},
    parse_case{"0.5Mi", 512 * kib * 1000, quantity_format::binary_si},
    parse_case{"1e3", 1'000'000, quantity_format::decimal_exponent},
    parse_case{"129e6", 129'000'000'000, quantity_format::decimal_exponent},
    parse_case{"1E3", 1'000'000, quantity_format::decimal_exponent},
    parse_case{"5e-3", 5, quantity_format::decimal_exponent},
    parse_case{"128974848000m", 128'974'848'000, quantity_format::decimal_si},
    parse_case{"1.000000000000000000000000000000Gi", gib * 1000,
               quantity_format::binary_si}));

TEST(QuantityParse, LargeValuesKeepTheirBytes) {
  auto q = parse_quantity("7Ei");
  ASSERT_TRUE(q) << render(q.error());
  EXPECT_EQ(q->bytes(), int64_t{7} << 60);
  EXPECT_EQ(q->millis(), std::numeric_limits<int64_t>::max()); // saturated
  auto exa = parse_quantity("9E");
  ASSERT_TRUE(exa);
  EXPECT_EQ(exa->bytes(), 9'000'000'000'000'000'000);
}

TEST(QuantityParse, Rejects) {
  for (const auto* text :
       {"", "Mi", "1K", "1KB", "1 Mi", " 1Mi", "1Mi ", "1.2.3", "1e", "1e+",
        "1mi", "1MiB", "abc", "--1", "1e3Mi", "16Ei", "8Ei",
        "9223372036854775808", "0x10"}) {
    auto q = parse_quantity(text);
    EXPECT_FALSE(q) << '"' << text << "\" parsed as " << (q ? q->millis() : 0);
    if (!q) {
      EXPECT_EQ(code_of(q.error()), ec::invalid_input);
    }
  }
}

TEST(QuantityParse, ErrorNamesTextAndReason) {
  auto q = parse_quantity("5K");
  ASSERT_FALSE(q);
  EXPECT_EQ(render(q.error()),
            "invalid_input: invalid quantity \"5K\": unknown suffix \"K\" "
            "(use k for 1000 or Ki for 1024)");
}

TEST(QuantityParse, BytesRoundUp) {
  EXPECT_EQ(parse_quantity("400m")->bytes(), 1);
  EXPECT_EQ(parse_quantity("1.5")->bytes(), 2);
  EXPECT_EQ(parse_quantity("129e6")->bytes(), 129'000'000);
  EXPECT_EQ(parse_quantity("-1.5")->bytes(), -2);
}

TEST(QuantityParse, RoundedFlag) {
  EXPECT_TRUE(parse_quantity("0.1m")->rounded());
  EXPECT_TRUE(parse_quantity("1.0001")->rounded());
  EXPECT_FALSE(parse_quantity("1.001")->rounded());
  EXPECT_FALSE(parse_quantity("100Mi")->rounded());
}

TEST(QuantityCompare, ByValueAcrossFormats) {
  auto q = [](const char* text) {
    return *parse_quantity(text);
  };
  EXPECT_EQ(q("1Gi"), q("1024Mi"));
  EXPECT_EQ(q("500m"), q("0.5"));
  EXPECT_EQ(q("1k"), q("1e3"));
  EXPECT_LT(q("1G"), q("1Gi"));
  EXPECT_GT(q("129M"), q("123Mi"));
  EXPECT_LE(q("128974848"), q("129e6"));
  EXPECT_NE(q("1M"), q("1Mi"));
  EXPECT_EQ(q("128974848000m"), q("128974848"));
}

TEST(QuantityMemory, ValidityRules) {
  for (const auto* ok :
       {"768Mi", "1Gi", "1.5Gi", "129M", "129e6", "1024", "0", "1k"})
    EXPECT_TRUE(is_valid_memory_quantity(ok)) << ok;
  for (const auto* bad :
       {"400m", "1u", "5n", "1K", "1KB", "-1Gi", "0.5", "abc", ""})
    EXPECT_FALSE(is_valid_memory_quantity(bad)) << bad;
}

TEST(QuantityMemory, MilliSuffixIsRejectedEvenWhenWhole) {
  EXPECT_FALSE(is_valid_memory_quantity("128974848000m"));
  EXPECT_EQ(memory_quantity_problem("400m"),
            "\"400m\" uses the suffix \"m\", a fraction of a byte for memory "
            "(M is 10^6, Mi 2^20)");
}

TEST(QuantityFormat, Memory) {
  EXPECT_EQ(format_memory(0), "0");
  EXPECT_EQ(format_memory(gib), "1Gi");
  EXPECT_EQ(format_memory(3 * gib / 2), "1536Mi");
  EXPECT_EQ(format_memory(960 * mib), "960Mi");
  EXPECT_EQ(format_memory(16 * gib), "16Gi");
  EXPECT_EQ(format_memory(129'000'000), "129000000");
  EXPECT_EQ(format_memory(512 * kib), "524288");
}

TEST(QuantityFormat, Cpu) {
  EXPECT_EQ(format_cpu(0), "0");
  EXPECT_EQ(format_cpu(1000), "1");
  EXPECT_EQ(format_cpu(2500), "2500m");
  EXPECT_EQ(format_cpu(250), "250m");
}

TEST(QuantityFormat, Describe) {
  EXPECT_EQ(describe_memory(874 * mib), "874Mi");
  EXPECT_EQ(describe_memory(874 * mib + mib / 2), "874.5Mi");
}

struct round_case {
  int64_t in;
  int64_t out;
};

class QuantityRoundUp : public ::testing::TestWithParam<round_case> {};

TEST_P(QuantityRoundUp, CleanSteps) {
  EXPECT_EQ(round_up_memory(GetParam().in), GetParam().out)
    << format_memory(GetParam().in);
}

INSTANTIATE_TEST_SUITE_P(
  Quantity, QuantityRoundUp,
  ::testing::Values(
    round_case{0, 0}, round_case{-5, 0}, round_case{1, 32 * mib},
    round_case{32 * mib, 32 * mib}, round_case{32 * mib + 1, 64 * mib},
    round_case{500 * mib, 512 * mib}, round_case{512 * mib, 512 * mib},
    round_case{512 * mib + 1, 576 * mib}, round_case{874 * mib, 896 * mib},
    round_case{960 * mib, 960 * mib}, round_case{2 * gib, 2 * gib},
    round_case{2 * gib + 1, 2 * gib + 256 * mib}, round_case{8 * gib, 8 * gib},
    round_case{8 * gib + 1, 8 * gib + 512 * mib},
    round_case{10 * gib + 100 * mib, 10 * gib + 512 * mib}));

TEST(QuantityRoundUp, MonotonicAndNeverBelowInput) {
  int64_t previous = 0;
  for (int64_t x = 1; x < 12 * gib; x += 7 * mib + 12345) {
    auto r = round_up_memory(x);
    EXPECT_GE(r, x);
    EXPECT_GE(r, previous);
    previous = r;
  }
}

TEST(QuantityRoundDown, CleanSteps) {
  EXPECT_EQ(round_down_memory(1400 * mib), 1344 * mib);
  EXPECT_EQ(round_down_memory(1536 * mib), 1536 * mib);
  EXPECT_EQ(round_down_memory(31 * mib), 0);
  EXPECT_EQ(round_down_memory(9 * gib + 1), 9 * gib);
}

} // namespace
} // namespace kfix
