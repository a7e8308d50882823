package dev.brook.bench.kstreams;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * Prints {@code RESTORED <store> <records> <millis>} when a store partition has caught up
 * with its changelog: the records restored (the sum of its batches) and the time from the
 * start of its restoration.
 */
final class RestoreReporter implements StateRestoreListener {

    private record StorePartition(TopicPartition changelog, String store) {}

    private static final class Progress {
        final long startNanos = System.nanoTime();
        long records;
    }

    private final Map<StorePartition, Progress> restoring = new ConcurrentHashMap<>();

    @Override
    public void onRestoreStart(TopicPartition changelog, String store, long startOffset, long endOffset) {
        restoring.put(new StorePartition(changelog, store), new Progress());
    }

    @Override
    public void onBatchRestored(TopicPartition changelog, String store, long batchEndOffset, long numRestored) {
        Progress progress = restoring.get(new StorePartition(changelog, store));
        if (progress != null) {
            progress.records += numRestored; // one thread restores a given store partition
        }
    }

    @Override
    public void onRestoreEnd(TopicPartition changelog, String store, long totalRestored) {
        Progress progress = restoring.remove(new StorePartition(changelog, store));
        if (progress == null) {
            Protocol.restored(store, totalRestored, 0);
            return;
        }
        long millis = (System.nanoTime() - progress.startNanos) / 1_000_000;
        Protocol.restored(store, progress.records, millis);
    }

    @Override
    public void onRestoreSuspended(TopicPartition changelog, String store, long totalRestored) {
        // The task moved away before it finished; a later onRestoreStart starts over.
        restoring.remove(new StorePartition(changelog, store));
    }
}
