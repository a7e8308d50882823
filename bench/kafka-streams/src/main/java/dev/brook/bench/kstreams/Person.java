package dev.brook.bench.kstreams;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * One Nexmark person, the value of the Nexmark scenarios' PERSONS records:
 * {@code {"id":1001,"name":"...","emailAddress":"...","creditCard":"...","city":"...",
 * "state":"OR","dateTime":1765000000123,"extra":"..."}}. The record's timestamp is its
 * {@code dateTime}. Read as strictly as a {@link Bid} (see {@link Bid#JSON}).
 */
record Person(long id, String name, String emailAddress, String creditCard, String city, String state,
        long dateTime, String extra) {

    /**
     * JSON both ways. A value that is not a person throws SerializationException, so the
     * deserialization exception handler skips its record; null stays null.
     */
    static final Serde<Person> SERDE = Serdes.serdeFrom(
            (topic, person) -> person == null ? null : Bid.json(person),
            (topic, bytes) -> bytes == null ? null : Bid.read(bytes, Person.class, "a person"));
}
