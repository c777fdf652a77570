import { describe, expect, it } from 'vitest';
import { coordinatesOf, parseDependencyList, repositoryPath } from './artifacts.ts';

describe('parseDependencyList', () => {
  it("reads dependency:list's lines with their files, with or without a classifier or a module name", () => {
    const text = [
      '',
      'The following files have been resolved:',
      '   at.yawk.lz4:lz4-java:jar:1.10.2:runtime:/root/.m2/repository/at/yawk/lz4/lz4-java/1.10.2/lz4-java-1.10.2.jar -- module org.lz4.java [auto]',
      '   org.apache.kafka:kafka_2.13:jar:4.3.1:compile:/root/.m2/repository/org/apache/kafka/kafka_2.13/4.3.1/kafka_2.13-4.3.1.jar',
      '   io.netty:netty-transport-native-epoll:jar:linux-x86_64:4.1.1:runtime:/m2/io/netty/netty-transport-native-epoll/4.1.1/netty-transport-native-epoll-4.1.1-linux-x86_64.jar -- module io.netty.transport.epoll',
    ].join('\n');
    const parsed = parseDependencyList(text);
    expect(parsed.map(({ artifact }) => coordinatesOf(artifact))).toEqual(['at.yawk.lz4:lz4-java:jar:1.10.2', 'org.apache.kafka:kafka_2.13:jar:4.3.1', 'io.netty:netty-transport-native-epoll:jar:linux-x86_64:4.1.1']);
    expect(parsed[2]?.file).toBe('/m2/io/netty/netty-transport-native-epoll/4.1.1/netty-transport-native-epoll-4.1.1-linux-x86_64.jar');
    // Where Maven Central keeps it is where Maven put it in the local repository.
    for (const { artifact, file } of parsed) expect(file.endsWith(repositoryPath(artifact))).toBe(true);
  });

  it('refuses a line it cannot read rather than leave a jar out', () => {
    expect(() => parseDependencyList('   org.example:odd:/path/odd.jar')).toThrow('cannot read the dependency list line');
  });
});
