// The code examples of the dashboard (seed 000, "Exemples de codes"), filled in with the site's
// public key and this Worker's origin; the private key stays a placeholder (it is never stored).
// The PHP one is examples/php/update-order.php (the seed's client) but for the lines that read
// the environment: test/dashboard-code.test.ts checks that they agree line for line.

/** The script tag of README "The tracker in a shop". */
export const scriptTag = (origin: string, publicKey: string) =>
  `<script>window.shopbeacon = window.shopbeacon || function () { (shopbeacon.q = shopbeacon.q || []).push(arguments) }</script>
<script async src="${origin}/sdk.js" data-key="${publicKey}"></script>`;

/** The npm import of a single-page storefront. */
export const npmImport = (origin: string, publicKey: string) =>
  `import { createTracker } from 'shopbeacon';

const tracker = createTracker({ key: '${publicKey}', endpoint: '${origin}' });`;

/** The seed's PHP updateOrder client. String.raw: its "\n" must stay a PHP escape, not become a newline. */
export const phpUpdateOrder = (url: string, publicKey: string) => String.raw`<?php
    // shopbeacon: the updateOrder client of seed 003 ("1. Code à utiliser"), for this site.
    // Put your private key in place of YOUR_PRIVATE_KEY, on your server only: never in a page.
    $shopbeacon_url = "${url}";
    $order_id = "0000001"; // your order's id
    $order_state = "10"; // its state

    // ================================================================================
    // PREPARATION DES DONNEES
    // ================================================================================
    $post_data = array();
    // ---------------------------- Attributs du profil -------------------------------
    $post_data["data"]["customer_email"] = "john@doe.com";
    $post_data["data"]["external_id"] = "12345xxx6789";
    if (isset($_COOKIE['sbt'])) // Sauvegarde du cookie d'authentification du customer s'il est présent.
    {
       $post_data["data"]["customer_cookie"] = $_COOKIE['sbt'];
    }
    $post_data["data"]["customer_name"] = "Doe";
    $post_data["data"]["customer_firstname"] = "John";
    $post_data["data"]["customer_isoptin"] = "1"; // 1:optin / 0:not optin / -1: unknown
    $post_data["data"]["customer_gender"] = "male"; // "male" or "female"
    $post_data["data"]["customer_address"] = "8, rue de la place";
    $post_data["data"]["customer_address2"] = "bâtiment A";
    $post_data["data"]["customer_address3"] = "appartement 23";
    $post_data["data"]["customer_cp"] = "76000";
    $post_data["data"]["customer_city"] = "Rouen";
    $post_data["data"]["customer_country"] = "FR";
    $post_data["data"]["customer_tel"] = "0235000000";
    $post_data["data"]["customer_mobile"] = "060606606";
    $post_data["data"]["customer_fonction"] = "developer";
    $post_data["data"]["customer_company"] = "SPREAD";
    $post_data["data"]["customer_birthday"] = "1970-12-31";
    $post_data["data"]["customer_lang"] = "fr_FR";
    $post_data["data"]["add_tag"] = array("tag1", "tag2"); // Ajout de tags client
    $post_data["data"]["del_tag"] = array("tag3", "tag4"); // Suppression de tags client
    $post_data["data"]["action"] = "order";
    // Champs personnalisés
    $post_data["data"]["custom_fields"][327] = "value"; // ID du custom_field à retrouver dans votre BackOffice, en bas de "Paramétrage > Tracker > Exemple de codes".
    // --------------------------- Attributs de la commande ---------------------------
     $post_data["data"]["order_idorder"] = $order_id;
    $post_data["data"]["order_state"] = $order_state; // 10:taked / 20:paid / 50:sent / 100:recieved
    $post_data["data"]["order_amount"] = 158.31;
    $post_data["data"]["order_crea_dt"] = "2014-06-21 14:31:08"; // Y-m-d H:i:s (UTC)
    $post_data["data"]["order_start_service"] = "2019-06-05"; // Y-m-d
    $post_data["data"]["order_end_service"] = "2019-06-14"; // Y-m-d
    // Attributs produits de la commande
    $post_data["data"]["product_attributes"] = array(
        array("size:xl", "type:shirt"), // produit 1
        array("size:s", "color:blue"), // produit 2
    );
    //$post_data["data"]["product_attributes"] = array(); // Laisser vide pour supprimer tous les attributs
    // Tags de la commande
    $post_data["data"]["add_order_tag"] = array("tag_commande_1", "tag_commande_2"); // Ajout de tags sur la commande
    $post_data["data"]["del_order_tag"] = array("tag_commande_3", "tag_commande_4"); // Suppression de tags sur la commande
    // Identifiant unique de la commande chez vous, important pour le updateOrder
    $post_data["request"]["order_idorder"] = $order_id;

    // ================================================================================
    // APPEL CURL
    // ================================================================================
    $curl_post_data = http_build_query($post_data);
    $curl = curl_init();
    curl_setopt($curl, CURLOPT_URL, rtrim($shopbeacon_url, "/") . "/api/updateOrder");
    curl_setopt($curl, CURLOPT_POST, true);
    curl_setopt($curl, CURLOPT_POSTREDIR, CURL_REDIR_POST_ALL);
    curl_setopt($curl, CURLOPT_FOLLOWLOCATION, true);
    curl_setopt($curl, CURLOPT_HTTPAUTH, CURLAUTH_ANY);
    curl_setopt($curl, CURLOPT_USERPWD, "${publicKey}" . ":" . "YOUR_PRIVATE_KEY"); // Vos clés d'API publique et privée
    curl_setopt($curl, CURLOPT_POSTFIELDS,$curl_post_data );
    curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
    $curl_return = curl_exec($curl);

    // ================================================================================
    // REPONSE (shopbeacon : affichée pour le développeur de la boutique)
    // ================================================================================
    $curl_error = curl_error($curl);
    $http_status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    curl_close($curl);
    if ($curl_return === false) {
        fwrite(STDERR, "updateOrder: no answer from " . $shopbeacon_url . ": " . $curl_error . "\n");
        exit(1);
    }
    echo "HTTP " . $http_status . "\n" . $curl_return . "\n";
    exit($http_status >= 200 && $http_status < 300 ? 0 : 1);
 ?>
`;
