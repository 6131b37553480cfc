#include "broker/acl.h"

#include <doctest/doctest.h>

namespace herald::broker {
namespace {

using Names = std::vector<std::string_view>;

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
  CHECK(user.Apply("(on)", Catalog(), false) == "Syntax error");
  CHECK(user.Apply("&a b", Catalog(), false) == "Syntax error");
  CHECK(user.Apply("%~k", Catalog(), false) == "Syntax error");
  CHECK(user.Apply("%X~k", Catalog(), false) == "Syntax error");
}

TEST_CASE("AclUser: selectors allow a command with its channels, as Redis 7 combines them") {
  AclUser user("u");
  for (std::string_view rule : {"on", "nopass", "+subscribe", "&news", "(+publish &chat.*)"}) {
    CHECK(user.Apply(rule, Catalog(), false).empty());
  }
  CHECK(user.Describe() ==
        "on nopass resetchannels &news -@all +subscribe (resetchannels &chat.* -@all +publish)");
  size_t index = 99;
  CHECK(user.Check("subscribe", "", "@pubsub @slow", Names{"news"}, false, &index) ==
        AclDenied::kNone);
  CHECK(user.Check("publish", "", "@pubsub @fast", Names{"chat.a"}, false, &index) ==
        AclDenied::kNone);
  // Each selector grants half of it: refused, as in Redis.
  CHECK(user.Check("publish", "", "@pubsub @fast", Names{"news"}, false, &index) ==
        AclDenied::kChannel);
  CHECK(index == 0);
  CHECK(user.Check("subscribe", "", "@pubsub @slow", Names{"news", "chat.a"}, false, &index) ==
        AclDenied::kChannel);
  CHECK(index == 1);
  CHECK(user.Check("client", "list", "@admin", Names{}, false, &index) == AclDenied::kCommand);
  // Any selector's channels count for the subscriptions a user may keep.
  CHECK(user.MayUseChannel("chat.x", false));
  CHECK(user.MayUseChannel("news", false));
  CHECK_FALSE(user.MayUseChannel("other", false));
  CHECK(user.selectors().size() == 1);
  CHECK(user.Apply("clearselectors", Catalog(), false).empty());
  CHECK(user.selectors().empty());
  CHECK_FALSE(user.MayUseChannel("chat.x", false));
}

TEST_CASE("AclUser: key patterns keep Redis's %R~/%W~ forms and merge their flags") {
  AclUser user("u");
  for (std::string_view rule : {"%RW~a", "%R~b", "%W~b", "%r~c", "%R"}) {
    CHECK(user.Apply(rule, Catalog(), false).empty());
  }
  CHECK(user.DescribeKeys() == "~a ~b %R~c %R~");
}

TEST_CASE("MergeSelectorArguments joins a selector spread over arguments") {
  std::vector<std::string> merged;
  std::string unmatched;
  CHECK(MergeSelectorArguments({"on", "(~c", "+get", "&d)", "(&e)"}, &merged, &unmatched));
  CHECK(merged == std::vector<std::string>{"on", "(~c +get &d)", "(&e)"});
  CHECK_FALSE(MergeSelectorArguments({"(~c", "+get"}, &merged, &unmatched));
  CHECK(unmatched == "(~c");
  AclStore store;
  std::string error;
  CHECK_FALSE(store.SetUser("a b", {}, Catalog(), &error));
  CHECK(error == "ERR Usernames can't contain spaces or null characters");
  CHECK_FALSE(store.SetUser("w", {"(~c"}, Catalog(), &error));
  CHECK(error == "ERR Unmatched parenthesis in acl selector starting at '(~c'.");
  CHECK_FALSE(store.SetUser("w", {"(on)"}, Catalog(), &error));
  CHECK(error == "ERR Error in ACL SETUSER modifier '(on)': Syntax error");
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
