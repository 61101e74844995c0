import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.lang.constant.ClassDesc;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Rewrites the pre-Java 6 class files (major version below 50) in a jar, in place, as Java 8 class files with stack
 * maps. Run by cli/pom.xml on the shaded jar before the AOT cache is trained (bin/lib/aot-train.sh).
 * <p>
 * Why: the JDK's AOT cache (JEP 483) leaves out such "old" classes ("Skipping picocli/CommandLine: Old class has been
 * linked"), and picocli 4.7 ships Java 5 class files. So every start of bin/derphole loaded, parsed and verified its
 * ~230 classes with the old verifier: ~0.1 CPU-s of a 0.35 CPU-s `derphole version`, and ~0.2 s of wall time
 * before a `pipe` could connect on the loaded 2-vCPU WAN lab. The code is the same code; only the class file
 * version and the stack maps (computed by the JDK's class-file API) change.
 * <p>
 * Usage: {@code java ClassVersionUpgrade.java JAR}. Prints how many classes it rewrote; fails (exit 1) when one
 * cannot be rewritten, which leaves the jar as it was.
 */
public final class ClassVersionUpgrade {
    private static final int OLD = 50;
    private static final int TARGET = 52;

    private ClassVersionUpgrade() {
    }

    public static void main(final String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java ClassVersionUpgrade.java JAR");
            System.exit(2);
        }
        final Path jar = Path.of(args[0]);
        final int upgraded;
        try (FileSystem zip = FileSystems.newFileSystem(jar)) {
            upgraded = upgrade(zip);
        }
        System.err.println("derphole: " + upgraded + " class files of " + jar.getFileName()
            + " rewritten from Java 5 to 8 for the AOT cache");
    }

    private static int upgrade(final FileSystem zip) throws IOException {
        final Path root = zip.getPath("/");
        final ClassHierarchyResolver inJar = ClassHierarchyResolver.ofResourceParsing(desc -> open(root, desc));
        final ClassFile classFile = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
            ClassFile.ClassHierarchyResolverOption.of(inJar.orElse(ClassHierarchyResolver.defaultResolver())));
        final List<Path> classes = new ArrayList<>();
        try (Stream<Path> all = Files.walk(root)) {
            all.filter(p -> p.toString().endsWith(".class")).forEach(classes::add);
        }
        // Parse and rewrite everything first, write afterwards: a rewritten class must not be read back as the
        // hierarchy source of another one half-way.
        final List<Path> paths = new ArrayList<>();
        final List<byte[]> rewritten = new ArrayList<>();
        for (final Path path : classes) {
            final ClassModel model = classFile.parse(Files.readAllBytes(path));
            if (model.majorVersion() >= OLD) {
                continue;
            }
            paths.add(path);
            rewritten.add(classFile.transformClass(model,
                ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                    .andThen(ClassTransform.endHandler(builder -> builder.withVersion(TARGET, 0)))));
        }
        for (int i = 0; i < paths.size(); i++) {
            Files.write(paths.get(i), rewritten.get(i));
        }
        return paths.size();
    }

    private static InputStream open(final Path root, final ClassDesc desc) {
        final String descriptor = desc.descriptorString();
        final Path path = root.resolve(descriptor.substring(1, descriptor.length() - 1) + ".class");
        try {
            return Files.exists(path) ? Files.newInputStream(path) : null;
        } catch (final IOException e) {
            return null;
        }
    }
}
