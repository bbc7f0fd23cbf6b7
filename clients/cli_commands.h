// The missionlog CLI's domain subcommands, each in its own file:
//   command  (cli_command.cc)  an Accountability command from JSON
//   import   (cli_import.cc)   the importers of published data
//   query, projections (cli_query.cc)  the Inquiry and Projections services
#ifndef MISSIONLOG_CLIENTS_CLI_COMMANDS_H_
#define MISSIONLOG_CLIENTS_CLI_COMMANDS_H_

#include "clients/cli_args.h"
#include "clients/client.h"

namespace missionlog {

// Exit status 0, 1 (call failed) or 2 (usage).
int CommandCommand(Client* client, const Args& args, bool json);
int ImportCommand(Client* client, const Args& args, bool json);
// query VIEW ... and projections status|rebuild (cli_query.cc).
int QueryCommand(Client* client, const Args& args, bool json);
int ProjectionsCommand(Client* client, const Args& args, bool json);

}  // namespace missionlog

#endif  // MISSIONLOG_CLIENTS_CLI_COMMANDS_H_
