// billingd customer create/update/list | user … | apikey create/list/revoke
#include <termios.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <map>

#include "app/cli/cli.hpp"
#include "app/config.hpp"
#include "app/wiring.hpp"
#include "auth/identity_service.hpp"

namespace meterline::app {

namespace {

constexpr const char* kCustomerUsage =
    R"(Usage: billingd customer create --name NAME [--email EMAIL] [--country CC] [--currency USD]
                                [--external-id ID] [--metadata KEY=VALUE[,KEY=VALUE…]]
       billingd customer update --id cus_… [--name NAME] [--email EMAIL] [--country CC]
                                [--external-id ID] [--metadata KEY=VALUE[,KEY=VALUE…]]
       billingd customer list [--search TEXT] [--limit N]

create: prints the new customer's id. update: changes the fields given; an
empty --external-id removes it, a metadata KEY= with no value removes that key.
list: newest first; --search matches part of the name, email or external id.
)";

// "k=v,k2=v2" -> {k: v, k2: v2}; kInvalidArgument without '='.
Result<customers::Metadata> ParseMetadataFlag(const std::string& text) {
  customers::Metadata out;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::string_view item = rest.substr(0, rest.find(','));
    rest = item.size() == rest.size() ? std::string_view() : rest.substr(item.size() + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return InvalidArgument("--metadata must look like KEY=VALUE[,KEY=VALUE…], got '" + std::string(item) + "'");
    }
    out[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
  }
  return out;
}

constexpr const char* kUserUsage = R"(Usage: billingd user create --email EMAIL --role admin|member [--customer cus_…]
       billingd user list
       billingd user disable|enable (--id usr_… | --email EMAIL)
       billingd user set-role (--id usr_… | --email EMAIL) --role admin|member [--customer cus_…]
       billingd user revoke-sessions (--id usr_… | --email EMAIL)

create: a login. The password is read from standard input (one line), or
asked for at a prompt when standard input is a terminal; it is never taken
from the command line, where other users could see it.
Members belong to a customer; admins to none.
disable: the user can no longer sign in and every session of theirs ends;
enable undoes it (old sessions stay ended). set-role takes effect on the
user's next request. revoke-sessions signs the user out everywhere.
The last enabled admin cannot be disabled or made a member. Every change is audited.
)";

constexpr const char* kApiKeyUsage =
    R"(Usage: billingd apikey create --name NAME [--role service|admin] [--customer cus_…]
       billingd apikey list
       billingd apikey revoke --id key_…

API keys authenticate machine callers (Authorization: Bearer mk_…). The key is
printed once by create; only its hash is stored. --customer limits a service
key to one customer; an admin key reaches every customer and takes none.
)";

std::string ReadPassword() {
  std::string password;
  if (::isatty(STDIN_FILENO)) {
    std::fprintf(stderr, "Password: ");
    termios old_state{};
    ::tcgetattr(STDIN_FILENO, &old_state);
    termios no_echo = old_state;
    no_echo.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &no_echo);
    std::getline(std::cin, password);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old_state);
    std::fprintf(stderr, "\n");
  } else {
    std::getline(std::cin, password);
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

// Runs `body` with the identity service of a fully built app.
int WithIdentity(const std::function<int(auth::IdentityService&)>& body) {
  return WithApp([&](App& app) { return body(*app.identity); });
}

const auth::RequestOrigin kCliOrigin{"", "billingd-cli"};

}  // namespace

namespace {

int CreateCustomer(std::map<std::string, std::string>& flags) {
  if (!flags.count("--name")) {
    PrintError("customer create needs --name");
    return 2;
  }
  customers::NewCustomer input{flags["--name"], flags["--email"], flags["--country"],
                               flags.count("--currency") ? flags["--currency"] : "USD"};
  input.external_id = flags["--external-id"];
  if (flags.count("--metadata")) {
    auto metadata = ParseMetadataFlag(flags["--metadata"]);
    if (!metadata.ok()) {
      PrintError(metadata.error().message);
      return 2;
    }
    input.metadata = std::move(*metadata);
  }
  return WithApp([&](App& app) {
    auto customer = app.customers->Create(input, "cli", kCliOrigin);
    if (!customer.ok()) {
      PrintError(customer.error().message);
      return 1;
    }
    std::printf("%s\n", customer->id.c_str());
    return 0;
  });
}

int UpdateCustomer(std::map<std::string, std::string>& flags) {
  if (!flags.count("--id")) {
    PrintError("customer update needs --id");
    return 2;
  }
  customers::CustomerChange change;
  if (flags.count("--name")) change.name = flags["--name"];
  if (flags.count("--email")) change.email = flags["--email"];
  if (flags.count("--country")) change.country = flags["--country"];
  if (flags.count("--external-id")) change.external_id = flags["--external-id"];
  if (flags.count("--metadata")) {
    auto metadata = ParseMetadataFlag(flags["--metadata"]);
    if (!metadata.ok()) {
      PrintError(metadata.error().message);
      return 2;
    }
    change.metadata = std::move(*metadata);
  }
  return WithApp([&](App& app) {
    auto customer = app.customers->Update(flags["--id"], change, "cli", kCliOrigin);
    if (!customer.ok()) {
      PrintError(customer.error().message);
      return 1;
    }
    std::printf("%s\n", customer->id.c_str());
    return 0;
  });
}

int ListCustomers(std::map<std::string, std::string>& flags) {
  customers::CustomerQuery query;
  query.search = flags["--search"];
  query.limit = 100;
  if (flags.count("--limit")) {
    const std::string& text = flags["--limit"];
    int64_t limit = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc() || end != text.data() + text.size() || limit < 1 || limit > 10000) {
      PrintError("--limit must be an integer between 1 and 10000");
      return 2;
    }
    query.limit = limit;
  }
  return WithApp([&](App& app) {
    auto found = app.customers->List(query);
    if (!found.ok()) {
      PrintError(found.error().message);
      return 1;
    }
    if (static_cast<int64_t>(found->size()) > query.limit) found->pop_back();
    std::printf("%-28s %-8s %-20s %s\n", "ID", "CURRENCY", "EXTERNAL ID", "NAME");
    for (const auto& c : *found) {
      std::printf("%-28s %-8s %-20s %s\n", c.id.c_str(), c.currency.c_str(),
                  c.external_id.empty() ? "-" : c.external_id.c_str(), c.name.c_str());
    }
    return 0;
  });
}

}  // namespace

int RunCustomer(const std::vector<std::string>& args) {
  const std::string command = args.empty() ? "" : args[0];
  if (WantsHelp(args) || (command != "create" && command != "update" && command != "list")) {
    (WantsHelp(args) ? std::cout : std::cerr) << kCustomerUsage;
    return WantsHelp(args) ? 0 : 2;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  auto flags = command == "create"
                   ? ParseFlags(rest, {"--name", "--email", "--country", "--currency", "--external-id", "--metadata"})
               : command == "update"
                   ? ParseFlags(rest, {"--id", "--name", "--email", "--country", "--external-id", "--metadata"})
                   : ParseFlags(rest, {"--search", "--limit"});
  if (!flags.ok()) {
    PrintError(flags.error().message);
    return 2;
  }
  if (command == "create") return CreateCustomer(*flags);
  if (command == "update") return UpdateCustomer(*flags);
  return ListCustomers(*flags);
}

namespace {

// The user named by --id or --email.
Result<auth::User> FindUser(auth::IdentityService& identity, std::map<std::string, std::string>& flags) {
  if (flags.count("--id")) return identity.GetUser(flags["--id"]);
  return identity.GetUserByEmail(flags["--email"]);
}

int CreateUser(const std::vector<std::string>& rest) {
  auto flags = ParseFlags(rest, {"--email", "--role", "--customer"});
  if (!flags.ok()) {
    PrintError(flags.error().message);
    return 2;
  }
  auto role = ParseRole((*flags)["--role"]);
  if (!flags->count("--email") || !role || *role == Role::kService) {
    PrintError("user create needs --email and --role admin|member");
    return 2;
  }
  std::string password = ReadPassword();
  return WithIdentity([&](auth::IdentityService& identity) {
    auto user = identity.CreateUser((*flags)["--email"], password, *role, (*flags)["--customer"], "cli", kCliOrigin);
    if (!user.ok()) {
      PrintError(user.error().message);
      return 1;
    }
    std::printf("%s\n", user->id.c_str());
    return 0;
  });
}

int ListUsers() {
  return WithIdentity([&](auth::IdentityService& identity) {
    std::printf("%-28s %-7s %-28s %-9s %s\n", "ID", "ROLE", "CUSTOMER", "STATE", "EMAIL");
    constexpr int kPage = 100;
    for (int offset = 0;; offset += kPage) {
      auto users = identity.ListUsers(kPage, offset);
      if (!users.ok()) {
        PrintError(users.error().message);
        return 1;
      }
      for (const auto& u : *users) {
        std::printf("%-28s %-7s %-28s %-9s %s\n", u.id.c_str(), RoleName(u.role),
                    u.customer_id.empty() ? "-" : u.customer_id.c_str(), u.disabled_at ? "disabled" : "enabled",
                    u.email.c_str());
      }
      if (users->size() < kPage) return 0;
    }
  });
}

// disable | enable | set-role | revoke-sessions
int ChangeUser(const std::string& sub, const std::vector<std::string>& rest) {
  bool set_role = sub == "set-role";
  auto flags =
      set_role ? ParseFlags(rest, {"--id", "--email", "--role", "--customer"}) : ParseFlags(rest, {"--id", "--email"});
  if (!flags.ok()) {
    PrintError(flags.error().message);
    return 2;
  }
  if (flags->count("--id") == flags->count("--email")) {
    PrintError("user " + sub + " needs --id or --email (one of them)");
    return 2;
  }
  auth::UserChange change;
  if (set_role) {
    auto role = ParseRole((*flags)["--role"]);
    if (!role || *role == Role::kService) {
      PrintError("user set-role needs --role admin|member");
      return 2;
    }
    change.role = *role;
    if (flags->count("--customer")) change.customer_id = (*flags)["--customer"];
  } else if (sub != "revoke-sessions") {
    change.disabled = sub == "disable";
  }
  return WithIdentity([&](auth::IdentityService& identity) {
    auto user = FindUser(identity, *flags);
    if (!user.ok()) {
      PrintError(user.error().message);
      return 1;
    }
    if (sub == "revoke-sessions") {
      Status s = identity.RevokeUserSessions(user->id, "cli", kCliOrigin);
      if (!s.ok()) {
        PrintError(s.error().message);
        return 1;
      }
      std::printf("signed %s out everywhere\n", user->email.c_str());
      return 0;
    }
    auto updated = identity.UpdateUser(user->id, change, "cli", kCliOrigin);
    if (!updated.ok()) {
      PrintError(updated.error().message);
      return 1;
    }
    std::printf("%s: %s%s, %s\n", updated->email.c_str(), RoleName(updated->role),
                updated->customer_id.empty() ? "" : (" of " + updated->customer_id).c_str(),
                updated->disabled_at ? "disabled" : "enabled");
    return 0;
  });
}

}  // namespace

int RunUser(const std::vector<std::string>& args) {
  if (WantsHelp(args) || args.empty()) {
    (WantsHelp(args) ? std::cout : std::cerr) << kUserUsage;
    return WantsHelp(args) ? 0 : 2;
  }
  const std::string& sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "create") return CreateUser(rest);
  if (sub == "list") {
    if (!rest.empty()) {
      PrintError("user list takes no flags");
      return 2;
    }
    return ListUsers();
  }
  if (sub == "disable" || sub == "enable" || sub == "set-role" || sub == "revoke-sessions")
    return ChangeUser(sub, rest);
  PrintError("unknown user command '" + sub + "'; run 'billingd user --help'");
  return 2;
}

int RunApiKey(const std::vector<std::string>& args) {
  if (WantsHelp(args) || args.empty()) {
    (WantsHelp(args) ? std::cout : std::cerr) << kApiKeyUsage;
    return WantsHelp(args) ? 0 : 2;
  }
  const std::string& sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "create") {
    auto flags = ParseFlags(rest, {"--name", "--role", "--customer"});
    if (!flags.ok()) {
      PrintError(flags.error().message);
      return 2;
    }
    auto role = ParseRole(flags->count("--role") ? (*flags)["--role"] : "service");
    if (!flags->count("--name") || !role || *role == Role::kMember) {
      PrintError("apikey create needs --name and --role service|admin");
      return 2;
    }
    return WithIdentity([&](auth::IdentityService& identity) {
      auto created = identity.CreateApiKey((*flags)["--name"], *role, (*flags)["--customer"], "cli", kCliOrigin);
      if (!created.ok()) {
        PrintError(created.error().message);
        return 1;
      }
      std::printf("%s\n", created->secret.c_str());
      std::fprintf(stderr, "API key %s created; the key above is shown only once.\n", created->key.id.c_str());
      return 0;
    });
  }
  if (sub == "list") {
    if (!rest.empty()) {
      PrintError("apikey list takes no flags");
      return 2;
    }
    return WithIdentity([&](auth::IdentityService& identity) {
      std::printf("%-28s %-14s %-8s %-28s %s\n", "ID", "PREFIX", "ROLE", "CUSTOMER", "NAME");
      constexpr int kPage = 100;
      for (int offset = 0;; offset += kPage) {
        auto keys = identity.ListApiKeys(kPage, offset);
        if (!keys.ok()) {
          PrintError(keys.error().message);
          return 1;
        }
        for (const auto& k : *keys) {
          std::printf("%-28s %-14s %-8s %-28s %s%s\n", k.id.c_str(), k.prefix.c_str(), RoleName(k.role),
                      k.customer_id.empty() ? "-" : k.customer_id.c_str(), k.name.c_str(),
                      k.revoked_at ? " (revoked)" : "");
        }
        if (keys->size() < kPage) return 0;
      }
    });
  }
  if (sub == "revoke") {
    auto flags = ParseFlags(rest, {"--id"});
    if (!flags.ok() || !flags->count("--id")) {
      PrintError(flags.ok() ? "apikey revoke needs --id" : flags.error().message);
      return 2;
    }
    return WithIdentity([&](auth::IdentityService& identity) {
      Status s = identity.RevokeApiKey((*flags)["--id"], "cli", kCliOrigin);
      if (!s.ok()) {
        PrintError(s.error().message);
        return 1;
      }
      std::printf("revoked %s\n", (*flags)["--id"].c_str());
      return 0;
    });
  }
  PrintError("unknown apikey command '" + sub + "'; run 'billingd apikey --help'");
  return 2;
}

}  // namespace meterline::app
