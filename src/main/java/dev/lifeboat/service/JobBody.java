package dev.lifeboat.service;

import java.util.Map;

/** What a job does, given the job to report progress on; returns what it produced, for the API. */
@FunctionalInterface
public interface JobBody {
    Map<String, Object> run(Job job) throws Exception;
}
