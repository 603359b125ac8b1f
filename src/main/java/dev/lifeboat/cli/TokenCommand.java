package dev.lifeboat.cli;

import dev.lifeboat.core.ErrorCode;
import dev.lifeboat.core.LifeboatException;
import dev.lifeboat.repository.Json;
import dev.lifeboat.state.CreatedToken;
import dev.lifeboat.state.Role;
import dev.lifeboat.state.StateStore;
import dev.lifeboat.state.TokenInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "token", mixinStandardHelpOptions = true,
        description = {"Manage the API tokens of lifeboat serve.",
                "They are kept hashed in <data-dir>/state.db, or in PostgreSQL with --state."},
        subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class})
final class TokenCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new LifeboatException(ErrorCode.USAGE, "token needs a subcommand: create, list or revoke",
                "lifeboat token --help");
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create an API token and print it, this once only.")
    static final class Create implements Callable<Integer> {
        @Mixin
        StateOptions data;

        @Option(names = "--role", required = true, paramLabel = "ROLE",
                description = "admin (everything), operator (run jobs, read) or viewer (read only).")
        String role;

        @Option(names = "--name", paramLabel = "NAME", description = "Unique name (default: <role>-<id>).")
        String name;

        @Override
        public Integer call() {
            Role r = Role.parse(role);
            try (StateStore store = data.open()) {
                CreatedToken created = store.tokens().create(r, name);
                TokenInfo t = created.info();
                System.out.println("Created " + t.role().label() + " token " + t.id() + " named " + t.name() + ":");
                System.out.println();
                System.out.println("    " + created.token());
                System.out.println();
                System.out.println("It is shown only this once: store it now (Lifeboat keeps only its hash).");
                System.out.println("Use it in each API request as the header: Authorization: Bearer <token>");
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the API tokens, oldest first.")
    static final class ListTokens implements Callable<Integer> {
        @Mixin
        StateOptions data;

        @Option(names = "--json", description = "Print a JSON array.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (StateStore store = data.open()) {
                List<TokenInfo> tokens = store.tokens().list();
                if (json) {
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (TokenInfo t : tokens) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("id", t.id());
                        row.put("name", t.name());
                        row.put("role", t.role().label());
                        row.put("created", t.created());
                        row.put("lastUsed", t.lastUsed());
                        row.put("revoked", t.isRevoked());
                        row.put("revokedAt", t.revoked());
                        out.add(row);
                    }
                    System.out.println(Json.MAPPER.writeValueAsString(out));
                    return 0;
                }
                if (tokens.isEmpty()) {
                    System.out.println("No API tokens in " + store.describe() + " yet. Create one with: "
                            + "lifeboat token create --role admin");
                    return 0;
                }
                List<String[]> rows = new ArrayList<>();
                rows.add(new String[] {"ID", "NAME", "ROLE", "CREATED (UTC)", "LAST USED", "REVOKED"});
                for (TokenInfo t : tokens) {
                    rows.add(new String[] {t.id(), t.name(), t.role().label(), Terminal.time(t.created()),
                            t.lastUsed() == null ? "never" : Terminal.time(t.lastUsed()),
                            t.revoked() == null ? "no" : Terminal.time(t.revoked())});
                }
                Terminal.table(System.out, rows);
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke an API token: requests with it are refused from now on.")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        StateOptions data;

        @Parameters(paramLabel = "ID|NAME", description = "The token's id, or the name of a token not yet revoked.")
        String idOrName;

        @Override
        public Integer call() {
            try (StateStore store = data.open()) {
                TokenInfo t = store.tokens().revoke(idOrName);
                System.out.println("Token " + t.id() + " (" + t.name() + ", " + t.role().label() + ") is revoked since "
                        + Terminal.time(t.revoked()) + ".");
            }
            return 0;
        }
    }
}
