package xsaga.infra.elasticsearch;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.elasticsearch.Build;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginBundle;
import org.elasticsearch.plugins.PluginsLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Starts one real Elasticsearch node (the server jar from Maven Central) in this JVM.
 *
 * <p>The official distribution starts the node through a CLI that forks a JVM and pipes it
 * serialized arguments; that CLI and most of the distribution's modules are not published to
 * Maven Central. This launcher does the parts of that bootstrap a local dev/test node needs:
 * read {@code config/elasticsearch.yml} (with the usual {@code ${ENV}} substitution), configure
 * logging from {@code config/log4j2.properties}, load the modules found under
 * {@code modules/} (here only transport-netty4, which provides the HTTP and transport layers)
 * exactly as the server loads its modules, then construct and start {@link Node}.
 *
 * <p>Not done (deliberately): entitlements/security manager, native controller spawning,
 * memory locking, keystore/secure settings. The node is meant for loopback-only use.
 *
 * <p>Usage: {@code java -Dxsaga.es.home=<path.home> xsaga.infra.elasticsearch.LocalNode}
 */
public final class LocalNode {
    private static final String NETTY4_MODULE = "transport-netty4";
    private static final String NETTY4_PLUGIN_CLASS = "org.elasticsearch.transport.netty4.Netty4Plugin";

    private LocalNode() {
    }

    public static void main(String[] args) {
        try {
            start();
        } catch (Throwable t) {
            // any failure before the node runs (bad config, port taken, ...) ends the process
            // at once, so the start script sees it exit instead of waiting for a timeout
            t.printStackTrace();
            System.exit(1);
        }
    }

    private static void start() throws Exception {
        String homeProp = System.getProperty("xsaga.es.home");
        if (homeProp == null || homeProp.isBlank()) {
            System.err.println("missing -Dxsaga.es.home=<elasticsearch home directory>");
            System.exit(2);
        }
        Path home = Path.of(homeProp).toAbsolutePath().normalize();
        Path configDir = home.resolve("config");

        // The module jars are copied by Maven; the descriptor must name the exact server
        // version, so write it from the server's own build info instead of hard-coding it.
        writeModuleDescriptors(home.resolve("modules"));

        LogConfigurator.registerErrorListener();
        Settings initial = Settings.builder().put(Environment.PATH_HOME_SETTING.getKey(), home.toString()).build();
        Environment env = InternalSettingsPreparer.prepareEnvironment(initial, Map.of(), configDir, () -> "xsaga-es");
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(env.settings()));
        LogConfigurator.configure(env, true);
        Logger logger = LogManager.getLogger(LocalNode.class);

        Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
            logger.error("uncaught exception in thread [" + thread.getName() + "]", error);
            if (error instanceof Error) {
                // same policy as the real server: an Error leaves the JVM in an unknown state
                Runtime.getRuntime().halt(1);
            }
        });

        Files.createDirectories(env.tmpDir());
        // false = a stateful (classic) node, not a serverless/stateless one
        Set<PluginBundle> modules = PluginsLoader.loadModulesBundles(env.modulesDir(), false);
        // No user plugins, only the modules under home/modules. The server runs from the class
        // path (unnamed module), so there are no qualified module exports to wire up: false.
        PluginsLoader pluginsLoader = PluginsLoader.createPluginsLoader(modules, Set.of(), Map.of(), false);
        logger.info(
            "starting Elasticsearch {} with modules {} (home [{}])",
            Build.current().version(),
            modules.stream().map(b -> b.pluginDescriptor().getName()).sorted().toList(),
            home
        );

        Node node = new Node(env, pluginsLoader);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                logger.info("stopping node");
                node.prepareForClose();
                node.close();
                if (node.awaitClose(30, TimeUnit.SECONDS) == false) {
                    logger.warn("node did not close within 30s");
                }
            } catch (Exception e) {
                logger.warn("error while stopping node", e);
            } finally {
                stopped.countDown();
            }
        }, "xsaga-es-shutdown"));

        node.start();
        logger.info("node started");

        // Node threads are daemons: keep one non-daemon thread until shutdown.
        Thread keepAlive = new Thread(() -> {
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "xsaga-es-keepalive");
        keepAlive.setDaemon(false);
        keepAlive.start();
    }

    private static void writeModuleDescriptors(Path modulesDir) throws IOException {
        Path netty = modulesDir.resolve(NETTY4_MODULE);
        if (Files.isDirectory(netty) == false) {
            throw new IllegalStateException("module directory missing: " + netty + " (run the launcher through elasticsearch.sh)");
        }
        try (Stream<Path> jars = Files.list(netty)) {
            if (jars.noneMatch(p -> p.getFileName().toString().startsWith(NETTY4_MODULE + "-"))) {
                throw new IllegalStateException("no " + NETTY4_MODULE + " jar in " + netty);
            }
        }
        // Loaded as a classic (non-modular) module: its own class loader with the server's
        // class loader as parent, because the server itself runs from the class path here.
        String descriptor = String.join(
            "\n",
            List.of(
                "# written by " + LocalNode.class.getName(),
                "name=" + NETTY4_MODULE,
                "description=Netty 4 based HTTP and transport layer",
                "version=" + Build.current().version(),
                "elasticsearch.version=" + Build.current().version(),
                "java.version=" + Runtime.version().feature(),
                "classname=" + NETTY4_PLUGIN_CLASS,
                "extended.plugins=",
                "has.native.controller=false",
                ""
            )
        );
        try {
            Files.writeString(netty.resolve("plugin-descriptor.properties"), descriptor);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
