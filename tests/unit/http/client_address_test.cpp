#include "http/client_address.hpp"

#include <gtest/gtest.h>

namespace meterline::http {
namespace {

Headers With(std::initializer_list<std::pair<const char*, const char*>> fields) {
  Headers h;
  for (const auto& [name, value] : fields) h.Add(name, value);
  return h;
}

TEST(TrustedProxies, ParsesBlocksAndAddressesOfBothFamilies) {
  auto trusted = TrustedProxies::Parse("10.0.0.0/8, 192.168.1.7,fd00::/8,::1");
  ASSERT_TRUE(trusted.ok()) << trusted.error().message;
  EXPECT_TRUE(trusted->Contains("10.200.3.4"));
  EXPECT_FALSE(trusted->Contains("11.0.0.1"));
  EXPECT_TRUE(trusted->Contains("192.168.1.7"));
  EXPECT_FALSE(trusted->Contains("192.168.1.8"));
  EXPECT_TRUE(trusted->Contains("fd12:3456::1"));
  EXPECT_FALSE(trusted->Contains("fe80::1"));
  EXPECT_TRUE(trusted->Contains("::1"));
  EXPECT_TRUE(trusted->Contains("::ffff:10.1.1.1")) << "an IPv4-mapped peer is the IPv4 address";
  EXPECT_FALSE(trusted->Contains("not-an-ip"));
  auto odd_bits = TrustedProxies::Parse("172.16.0.0/12");
  ASSERT_TRUE(odd_bits.ok());
  EXPECT_TRUE(odd_bits->Contains("172.31.255.255"));
  EXPECT_FALSE(odd_bits->Contains("172.32.0.0"));
  EXPECT_TRUE(TrustedProxies::Parse("0.0.0.0/0")->Contains("8.8.8.8"));
  EXPECT_TRUE(TrustedProxies::Parse("")->empty());
}

TEST(TrustedProxies, RefusesWhatIsNotABlock) {
  for (const char* bad :
       {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0", "example.com", "1.2.3.4/-1"}) {
    auto parsed = TrustedProxies::Parse(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
  }
  EXPECT_EQ(TrustedProxies::Parse("10.0.0.0/8,oops").error().message, "'oops' is not an IP address or CIDR block");
}

TEST(ClientAddress, HeadersCountOnlyFromATrustedPeer) {
  auto trusted = *TrustedProxies::Parse("10.0.0.0/8");
  Headers spoofed = With({{"X-Forwarded-For", "1.2.3.4"}});
  EXPECT_EQ(ResolveClientAddress("203.0.113.5", spoofed, trusted), "203.0.113.5");
  EXPECT_EQ(ResolveClientAddress("203.0.113.5", spoofed, TrustedProxies()), "203.0.113.5");
  EXPECT_EQ(ResolveClientAddress("10.0.0.1", spoofed, trusted), "1.2.3.4");
  EXPECT_EQ(ResolveClientAddress("10.0.0.1", Headers(), trusted), "10.0.0.1");
  EXPECT_EQ(ResolveClientAddress("::ffff:203.0.113.5", Headers(), trusted), "203.0.113.5");
}

TEST(ClientAddress, TheRightMostUntrustedHopWins) {
  auto trusted = *TrustedProxies::Parse("10.0.0.0/8");
  // The client prepended a lie; the proxies appended the truth.
  EXPECT_EQ(ResolveClientAddress("10.0.0.1", With({{"X-Forwarded-For", "6.6.6.6, 198.51.100.9, 10.9.9.9"}}), trusted),
            "198.51.100.9");
  // Several fields are one list, in order.
  EXPECT_EQ(
      ResolveClientAddress(
          "10.0.0.1", With({{"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-For", "198.51.100.9, 10.1.1.1"}}), trusted),
      "198.51.100.9");
  // Every hop trusted: the left-most.
  EXPECT_EQ(ResolveClientAddress("10.0.0.1", With({{"X-Forwarded-For", "10.2.2.2, 10.3.3.3"}}), trusted), "10.2.2.2");
  // Garbage stops the walk at the last proxy that vouched for something.
  EXPECT_EQ(ResolveClientAddress("10.0.0.1", With({{"X-Forwarded-For", "198.51.100.9, bogus, 10.3.3.3"}}), trusted),
            "10.3.3.3");
  EXPECT_EQ(ResolveClientAddress("10.0.0.1", With({{"X-Forwarded-For", "198.51.100.9:5555"}}), trusted),
            "198.51.100.9");
}

TEST(ClientAddress, ForwardedWinsOverXForwardedFor) {
  auto trusted = *TrustedProxies::Parse("10.0.0.0/8,fd00::/8");
  Headers both = With({{"X-Forwarded-For", "6.6.6.6"},
                       {"Forwarded", R"(for="[2001:DB8:0:0::17]:4711";proto=https;by=10.0.0.1, For=10.0.0.2)"}});
  EXPECT_EQ(ResolveClientAddress("fd00::1", both, trusted), "2001:db8::17");
  EXPECT_EQ(ResolveClientAddress("10.0.0.1", With({{"Forwarded", "for=unknown, for=10.0.0.2"}}), trusted), "10.0.0.2");
  EXPECT_EQ(ResolveClientAddress("10.0.0.1", With({{"Forwarded", "proto=https"}}), trusted), "10.0.0.1");
}

}  // namespace
}  // namespace meterline::http
