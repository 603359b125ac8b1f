package dev.lifeboat.web;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;

/**
 * The pages' templates ({@code src/main/jte}), compiled to classes at build time by jte-maven-plugin and
 * loaded from the classpath: nothing is compiled at run time. Content type HTML: every {@code ${...}} is
 * escaped for where it stands (text, attribute), so data can never become markup.
 */
final class Templates {
    private final TemplateEngine engine;

    private Templates(TemplateEngine engine) {
        this.engine = engine;
    }

    static Templates precompiled() {
        return new Templates(TemplateEngine.createPrecompiled(ContentType.Html));
    }

    /** Renders {@code name} (such as {@code backups.jte}), whose one parameter is {@code model}. */
    String render(String name, Object model) {
        StringOutput out = new StringOutput();
        engine.render(name, model, out);
        return out.toString();
    }
}
