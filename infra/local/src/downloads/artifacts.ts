/** A Maven artifact by its coordinates. */
export interface MavenArtifact {
  groupId: string;
  artifactId: string;
  version: string;
  /** The extension: jar, tar.gz, pom. */
  type: string;
  classifier?: string;
}

/** A resolved artifact: its coordinates and the file Maven downloaded into its local repository. */
export interface ResolvedArtifact {
  artifact: MavenArtifact;
  file: string;
}

/** group:artifact:type[:classifier]:version, as Maven prints them. */
export function coordinatesOf(artifact: MavenArtifact): string {
  const { groupId, artifactId, type, classifier, version } = artifact;
  return [groupId, artifactId, type, ...(classifier ? [classifier] : []), version].join(':');
}

/** Its path in a Maven repository (remote or local): group/as/folders/artifact/version/artifact-version[-classifier].type. */
export function repositoryPath(artifact: MavenArtifact): string {
  const { groupId, artifactId, version, type, classifier } = artifact;
  return `${groupId.replaceAll('.', '/')}/${artifactId}/${version}/${artifactId}-${version}${classifier ? `-${classifier}` : ''}.${type}`;
}

/**
 * The artifacts of `mvn dependency:list -DoutputAbsoluteArtifactFilename=true`:
 * `   group:artifact:type[:classifier]:version:scope:/absolute/path.jar -- module name [auto]`.
 */
export function parseDependencyList(text: string): ResolvedArtifact[] {
  return text.split('\n').flatMap((line): ResolvedArtifact[] => {
    const entry = line.replace(/ -- module .*$/, '').trim();
    const at = entry.indexOf(':/');
    if (at < 0) return [];
    const fields = entry.slice(0, at).split(':');
    const file = entry.slice(at + 1);
    if (fields.length === 5) {
      const [groupId = '', artifactId = '', type = '', version = ''] = fields;
      return [{ artifact: { groupId, artifactId, type, version }, file }];
    }
    if (fields.length === 6) {
      const [groupId = '', artifactId = '', type = '', classifier = '', version = ''] = fields;
      return [{ artifact: { groupId, artifactId, type, classifier, version }, file }];
    }
    throw new Error(`cannot read the dependency list line "${line.trim()}"`);
  });
}
