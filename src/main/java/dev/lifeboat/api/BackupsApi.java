package dev.lifeboat.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.core.Hex;
import dev.lifeboat.repository.Json;
import dev.lifeboat.service.BackupView;
import dev.lifeboat.service.Job;
import dev.lifeboat.service.Jobs;
import dev.lifeboat.service.Service;
import dev.lifeboat.state.JobRecord;
import dev.lifeboat.state.Role;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The REST API of the Atlas seed under {@code /api/v1/platform}: parse, call one {@link Service} method,
 * render. Roles: viewer reads; operator backs up and verifies; admin restores and configures.
 */
final class BackupsApi {
    static final String BASE = "/api/v1/platform";
    /**
     * How long a synchronous call waits for its job before answering 202 with the job to poll; the HTTP
     * connection's idle timeout is a little longer.
     */
    static final Duration SYNC_WAIT = Duration.ofMinutes(15);

    private final Service service;

    BackupsApi(Service service) {
        this.service = service;
    }

    void register(RoutesConfig r) {
        r.get(BASE + "/backups", this::list);
        r.post(BASE + "/backups", this::create);
        r.get(BASE + "/backups/config", this::getConfig);
        r.put(BASE + "/backups/config", this::putConfig);
        r.get(BASE + "/backups/{id}", this::show);
        r.post(BASE + "/backups/{id}/verify", this::verify);
        r.post(BASE + "/backups/{id}/restore", this::requestRestore);
        r.post(BASE + "/backups/{id}/restore/confirm", this::confirmRestore);
        r.get(BASE + "/jobs", this::jobs);
        r.get(BASE + "/jobs/{id}", this::job);
        r.get(BASE + "/audit", this::audit);
    }

    /**
     * The list, rendered once per list object the service returns (see {@link Service#backups()}): warm
     * requests with nothing changed cost a memory copy. An ETag lets a client poll with If-None-Match.
     */
    private void list(Context ctx) throws IOException {
        Auth.require(ctx, Role.VIEWER);
        List<BackupView> views = service.backups();
        Rendered r = rendered;
        if (r == null || r.views() != views) {
            List<Map<String, Object>> rows = new ArrayList<>(views.size());
            for (BackupView v : views) {
                rows.add(v.summary());
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("backups", rows);
            out.put("count", rows.size());
            byte[] body = Json.COMPACT.writeValueAsBytes(out);
            r = new Rendered(views, body, etag(body));
            rendered = r;
        }
        ctx.header("ETag", r.etag());
        if (r.etag().equals(ctx.header("If-None-Match"))) {
            ctx.status(304);
            return;
        }
        ctx.contentType("application/json").result(r.body());
    }

    /**
     * The list's ETag, from its bytes: the same list gives the same tag after a refresh of the catalog, a restart,
     * or from another instance (a list rendered anew every time the catalog refreshes is not a change).
     */
    static String etag(byte[] body) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(body);
            return "W/\"" + Hex.of(Arrays.copyOf(hash, 16)) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private record Rendered(List<BackupView> views, byte[] body, String etag) {}

    private volatile Rendered rendered;

    private void show(Context ctx) throws IOException {
        Auth.require(ctx, Role.VIEWER);
        ctx.json(service.backup(ctx.pathParam("id")).detail());
    }

    private void create(Context ctx) throws Exception {
        JsonNode body = optionalBody(ctx);
        String label = text(body, "label");
        Job job = service.startBackup(Auth.principal(ctx), label);
        respond(ctx, job, 201);
    }

    private void verify(Context ctx) throws Exception {
        JsonNode body = optionalBody(ctx);
        boolean drill = bool(body, "drill");
        Job job = service.startVerify(Auth.principal(ctx), ctx.pathParam("id"), drill);
        respond(ctx, job, 200);
    }

    /**
     * Step one: {@code {"database": NAME}} for a database of a backup taken with the databases: list,
     * {@code {"source": NAME}} for one source of the stack, neither for the whole stack (or the one database).
     * The answer lists every target the confirmation would write to.
     */
    private void requestRestore(Context ctx) throws Exception {
        JsonNode body = optionalBody(ctx);
        Service.RestoreOffer offer = service.requestRestore(Auth.principal(ctx), ctx.pathParam("id"),
                text(body, "database"), text(body, "source"), bool(body, "force"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("backupId", offer.backupId());
        if (offer.database() != null) {
            out.put("database", offer.database());
        } else {
            out.put("source", offer.choice().source()); // null: every source of the backup
        }
        out.put("target", offer.target());
        out.put("sources", offer.targets().stream().map(t -> Map.of("name", t.source(), "type",
                String.valueOf(t.type()), "target", t.target())).toList());
        out.put("confirmationToken", offer.confirmationToken());
        out.put("expires", offer.expires());
        String what = offer.database() != null ? "database " + offer.database() : offer.choice().source() != null
                ? "source " + offer.choice().source() : "every source of the backup";
        String corrupt = offer.corrupt() == null ? "" : offer.corrupt() + (offer.newestGood() == null ? ""
                : "; the newest good backup of " + what + " is " + offer.newestGood())
                + "; confirm with \"force\": true to restore it anyway. ";
        String replaces = offer.database() != null
                ? "confirming replaces database " + offer.database() + " on " + offer.target()
                + " with this backup, after a safety backup of its current content"
                : "confirming replaces " + what + " (" + offer.target() + ") with this backup, after a safety backup "
                + "of every target that holds data; lifeboat.yml's before-restore hook runs first, and its after-restore "
                + "hook only when every source was restored";
        out.put("warning", corrupt + replaces);
        if (offer.corrupt() != null) {
            out.put("corrupt", true);
            out.put("newestGoodBackupId", offer.newestGood());
        }
        ctx.json(out);
    }

    private void confirmRestore(Context ctx) throws Exception {
        JsonNode body = requiredBody(ctx);
        String token = text(body, "confirmationToken");
        if (token == null || token.isBlank()) {
            throw new ApiError(400, "invalid_request", "confirmationToken: missing",
                    "send {\"confirmationToken\": \"...\"} as returned by POST .../restore");
        }
        Job job = service.confirmRestore(Auth.principal(ctx), ctx.pathParam("id"), token, null, bool(body, "force"));
        respond(ctx, job, 200);
    }

    private void getConfig(Context ctx) {
        Auth.require(ctx, Role.VIEWER);
        Map<String, Object> out = new LinkedHashMap<>(service.freshConfig().toJson());
        out.put("nextRun", service.nextRun().orElse(null));
        ctx.json(out);
    }

    private void putConfig(Context ctx) {
        JsonNode body = requiredBody(ctx);
        Map<String, Object> out = new LinkedHashMap<>(service.updateConfig(Auth.principal(ctx), body).toJson());
        out.put("nextRun", service.nextRun().orElse(null));
        ctx.json(out);
    }

    private void jobs(Context ctx) {
        Auth.require(ctx, Role.VIEWER);
        int limit = Math.max(1, Math.min(1000, ctx.queryParamAsClass("limit", Integer.class).getOrDefault(50)));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("active", service.jobs().active().stream().map(BackupsApi::jobJson).toList());
        out.put("history", service.state().jobs().recent(limit).stream().map(BackupsApi::recordJson).toList());
        ctx.json(out);
    }

    private void job(Context ctx) {
        Auth.require(ctx, Role.VIEWER);
        String id = ctx.pathParam("id");
        var live = service.jobs().find(id);
        if (live.isPresent()) {
            ctx.json(jobJson(live.get()));
            return;
        }
        JobRecord rec = service.state().jobs().find(id).orElseThrow(() -> new ApiError(404, "not_found",
                "no job with id '" + id + "'", "list the jobs at " + BASE + "/jobs"));
        ctx.json(recordJson(rec));
    }

    private void audit(Context ctx) {
        Auth.require(ctx, Role.ADMIN);
        int limit = Math.max(1, Math.min(1000, ctx.queryParamAsClass("limit", Integer.class).getOrDefault(100)));
        ctx.json(Map.of("entries", service.state().audit().recent(limit)));
    }

    /**
     * Waits for the job, unless {@code ?async=true}: then answers 202 at once with the job to poll. A job
     * that fails answers with its error, the job id, and what it still reported ({@code error.result}).
     */
    private void respond(Context ctx, Job job, int okStatus) throws InterruptedException {
        boolean async = "true".equalsIgnoreCase(ctx.queryParam("async"));
        if (async) {
            ctx.status(202).header("Location", BASE + "/jobs/" + job.id()).json(jobJson(job));
            return;
        }
        Job done = Jobs.await(job, SYNC_WAIT);
        if (!done.state().ended()) {
            ctx.status(202).header("Location", BASE + "/jobs/" + job.id()).json(jobJson(job));
            return;
        }
        if (done.state() != Job.State.SUCCEEDED) {
            Job.Failure f = done.failure();
            ApiError e = ApiError.of(f.code(), f.message(), f.hint()).with("jobId", done.id()).with("jobStatus",
                    done.state().label());
            if (!done.result().isEmpty()) { // what a failed verify found, the safety backup a failed restore took
                e.with("result", done.result());
            }
            throw e;
        }
        Map<String, Object> out = new LinkedHashMap<>(done.result());
        out.put("jobId", done.id());
        ctx.status(okStatus).json(out);
    }

    static Map<String, Object> jobJson(Job j) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", j.id());
        out.put("kind", j.kind().label());
        out.put("status", j.state().label());
        // a new backup has no target: once it succeeded, its id is the one it made, as in the job history
        out.put("backupId", j.result().getOrDefault("id", j.target()));
        out.put("requestedBy", j.requestedBy());
        out.put("submitted", j.submitted());
        out.put("started", j.started());
        out.put("finished", j.finished());
        if (j.state() == Job.State.RUNNING) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("task", j.task());
            p.put("bytesDone", j.bytesDone());
            p.put("totalBytes", j.totalBytes() < 0 ? null : j.totalBytes());
            if (j.expectedIsEstimate()) { // a dump: its size is only known at its end
                p.put("estimatedBytes", j.expectedBytes());
            }
            java.time.Duration left = j.remaining();
            p.put("remainingSeconds", left == null ? null : (left.toMillis() + 999) / 1000); // 0 only when done
            out.put("progress", p);
        }
        if (!j.result().isEmpty()) {
            out.put("result", j.result());
        }
        if (j.failure() != null) {
            out.put("error", Map.of("code", ApiError.of(j.failure().code(), "", null).code(), "message",
                    j.failure().message()));
        }
        return out;
    }

    static Map<String, Object> recordJson(JobRecord r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", r.id());
        out.put("kind", r.kind());
        out.put("status", r.status().label());
        out.put("backupId", r.backupId());
        out.put("requestedBy", r.requestedBy());
        out.put("started", r.started());
        out.put("finished", r.finished());
        if (r.error() != null) {
            out.put("error", Map.of("message", r.error()));
        }
        out.put("details", r.details());
        return out;
    }

    private static JsonNode optionalBody(Context ctx) {
        String raw = ctx.body();
        if (raw == null || raw.isBlank()) {
            return Json.MAPPER.createObjectNode();
        }
        return parse(raw);
    }

    private static JsonNode requiredBody(Context ctx) {
        String raw = ctx.body();
        if (raw == null || raw.isBlank()) {
            throw new ApiError(400, "invalid_json", "the request has no body", "send a JSON object");
        }
        return parse(raw);
    }

    private static JsonNode parse(String raw) {
        try {
            JsonNode n = Json.MAPPER.readTree(raw);
            if (n == null || !n.isObject()) {
                throw new ApiError(400, "invalid_json", "the body is not a JSON object", "send a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new ApiError(400, "invalid_json", "the body is not valid JSON: " + e.getOriginalMessage(),
                    "send a JSON object");
        }
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new ApiError(400, "invalid_request", field + ": must be true or false", null).with("field", field);
        }
        return v.booleanValue();
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new ApiError(400, "invalid_request", field + ": must be a string", null).with("field", field);
        }
        return v.asText();
    }
}
