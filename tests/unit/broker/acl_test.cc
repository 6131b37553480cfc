#include "broker/acl.h"

#include <doctest/doctest.h>

namespace herald::broker {
namespace {

const AclCatalog& Catalog() {
  static const AclCatalog kCatalog{.is_command =
                                       [](std::string_view name) {
                                         return name == "publish" || name == "subscribe" ||
                                                name == "client";
                                       },
                                   .is_subcommand =
                                       [](std::string_view name, std::string_view sub) {
                                         return name == "client" && (sub.empty() || sub == "list");
                                       }};
  return kCatalog;
}

TEST_CASE("AclUser: rules in order, the last matching one decides") {
  AclUser user("u");
  for (std::string_view rule : {"on", ">pw", "+@pubsub", "-publish", "+client|list", "&chat.*"}) {
    CHECK(user.Apply(rule, Catalog(), false).empty());
  }
  CHECK(user.MayRun("subscribe", "", "@pubsub @slow"));
  CHECK_FALSE(user.MayRun("publish", "", "@pubsub @fast"));
  CHECK(user.MayRun("client", "list", "@admin @slow @dangerous @connection"));
  CHECK_FALSE(user.MayRun("client", "kill", "@admin @slow @dangerous @connection"));
  CHECK(user.MayUseChannel("chat.a", false));
  CHECK_FALSE(user.MayUseChannel("chat.*x", true));
  CHECK(user.MayUseChannel("chat.*", true));
  CHECK(user.CheckPassword("pw"));
  CHECK_FALSE(user.CheckPassword("pW"));
  CHECK(user.DescribeCommands() == "-@all +@pubsub -publish +client|list");
  // A rule for the same target replaces the earlier one.
  CHECK(user.Apply("+publish", Catalog(), false).empty());
  CHECK(user.DescribeCommands() == "-@all +@pubsub +client|list +publish");
  CHECK(user.Apply("allcommands", Catalog(), false).empty());
  CHECK(user.DescribeCommands() == "+@all");
}

TEST_CASE("AclUser: refusals leave reasons as Redis words them") {
  AclUser user("u");
  CHECK(user.Apply("bogus", Catalog(), false) == "Syntax error");
  CHECK(user.Apply("+nosuch", Catalog(), false) == "Unknown command or category name in ACL");
  CHECK(user.Apply("+client|nosuch", Catalog(), false) ==
        "Unknown command or category name in ACL");
  CHECK(user.Apply("#ABC", Catalog(), false).starts_with("The password hash must be exactly 64"));
  CHECK(user.Apply("(+publish)", Catalog(), false) == "Selectors are not supported by herald");
}

TEST_CASE("AclStore: SETUSER is all or nothing; the log groups repeats") {
  AclStore store;
  std::string error;
  CHECK_FALSE(store.SetUser("x", {"on", "bogus"}, Catalog(), &error));
  CHECK(error == "ERR Error in ACL SETUSER modifier 'bogus': Syntax error");
  CHECK(store.Find("x") == nullptr);
  CHECK(store.SetUser("x", {"on", "nopass"}, Catalog(), &error));
  CHECK(store.Find("x")->Describe() == "on nopass resetchannels -@all");
  CHECK(store.Find("default")->Describe() == "on nopass ~* &* +@all");
  CHECK(store.DeleteUser("x") != nullptr);
  store.Log({.reason = "auth",
             .context = "toplevel",
             .object = "AUTH",
             .username = "a",
             .client_info = ""},
            1000, 2);
  store.Log({.reason = "auth",
             .context = "toplevel",
             .object = "AUTH",
             .username = "a",
             .client_info = ""},
            2000, 2);
  store.Log({.reason = "auth",
             .context = "toplevel",
             .object = "AUTH",
             .username = "b",
             .client_info = ""},
            3000, 2);
  store.Log({.reason = "auth",
             .context = "toplevel",
             .object = "AUTH",
             .username = "c",
             .client_info = ""},
            4000, 2);
  REQUIRE(store.log().size() == 2);
  CHECK(store.log()[0].username == "c");
  CHECK(store.log()[1].username == "b");
  // After 60 s the same event starts a new entry.
  store.Log({.reason = "auth",
             .context = "toplevel",
             .object = "AUTH",
             .username = "c",
             .client_info = ""},
            70000, 2);
  CHECK(store.log()[0].count == 1);
}

}  // namespace
}  // namespace herald::broker
