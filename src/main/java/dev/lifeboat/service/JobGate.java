package dev.lifeboat.service;

/**
 * Lets one job at a time work on a repository across every service instance that shares it. Within one
 * instance the job queue already runs jobs one by one; with a shared PostgreSQL state store, several
 * instances also take a lock in that database.
 */
public interface JobGate {
    /** No other instance: the queue alone serializes jobs. */
    JobGate LOCAL = job -> () -> {};

    /** Blocks until the job may run; closing the result lets the next one in. */
    Pass enter(Job job) throws Exception;

    interface Pass extends AutoCloseable {
        @Override
        void close() throws Exception;
    }
}
